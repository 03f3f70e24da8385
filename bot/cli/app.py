"""Wiring: real storage, router, core and a transport, for each CLI mode."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from datetime import UTC
from typing import TextIO

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.chat.console import ConsoleTransport
from bot.chat.transport import Incoming
from bot.config import Config
from bot.ops.metrics import OUTBOX_DEPTH, SYNC_LAG
from bot.ops.server import HealthCheck, OpsServer
from bot.runtime.core import BotCore, utc_now
from bot.runtime.housekeeping import Housekeeper
from bot.runtime.outbox import OutboxSender
from bot.runtime.poster import Poster
from bot.runtime.privacy import RetentionJob
from bot.runtime.reload import Reloader
from handlers import build_router
from storage.db import Storage

log = logging.getLogger(__name__)


async def build_core(config: Config, *, long_running: bool = False) -> BotCore:
    """Storage migrated to head, every command registered. A long-running bot
    upgrades its database in a child process (`Storage.migrate`), so it never
    carries Alembic in memory."""
    config.storage.data_dir.mkdir(parents=True, exist_ok=True)
    storage = Storage(config.storage.url)
    await storage.migrate(in_child=long_running)
    return BotCore(storage, build_router(), OutboxSender(storage, utc_now))


async def run_console(
    config: Config,
    as_user: str | None,
    group_id: str | None = None,
    *,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
) -> None:
    group = next((g for g in config.groups if group_id in (None, g.id)), None)
    if group is None:
        raise SystemExit(f"no group with id {group_id!r} in {config.path}")
    sender = as_user or (group.members[0].user if group.members else "@guest:localhost")
    core = await build_core(config)
    transport = ConsoleTransport(group.room, sender, stdin, stdout)
    core.bind_room(group.room, group)
    core.outbox.attach(transport)
    await core.outbox.flush()

    async def on_event(event: Incoming) -> None:
        await core.handle(event)
        await core.outbox.flush()

    try:
        await transport.start(on_event)
    finally:
        await core.storage.close()


async def start_ops(config: Config, core: BotCore, transport) -> OpsServer | None:
    """`/healthz` and `/metrics`, when `[ops] listen` asks for them."""
    if config.ops is None:
        return None

    async def storage_problem() -> str | None:
        await core.storage.ping()
        return None

    async def refresh() -> None:
        async with core.storage.transaction() as repo:
            OUTBOX_DEPTH.set(await repo.pending_count())
        lag = transport.sync_lag()
        if lag is not None:
            SYNC_LAG.labels("matrix").set(lag)

    checks = [HealthCheck("storage", storage_problem), HealthCheck("matrix", transport.health)]
    server = OpsServer(config.ops.host, config.ops.port, checks, refresh)
    await server.start()
    return server


async def run_matrix(config: Config) -> None:
    """The bot proper: runs until SIGINT/SIGTERM."""
    from bot.chat.matrix.transport import MatrixTransport

    loop = asyncio.get_running_loop()
    hup_early = asyncio.Event()  # SIGHUP while starting: reload once started, never die of it
    loop.add_signal_handler(signal.SIGHUP, hup_early.set)
    core = await build_core(config, long_running=True)
    transport = MatrixTransport(config, core.storage)
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, lambda: asyncio.ensure_future(transport.stop()))
    try:
        for room_id, group in (await transport.connect()).items():
            core.bind_room(room_id, group)
        sender = asyncio.create_task(core.outbox.run(transport), name="outbox")
        scheduler = AsyncIOScheduler(timezone=UTC)
        poster, housekeeper = Poster(core, scheduler), Housekeeper(core, scheduler)
        retention = RetentionJob(core, scheduler)
        await poster.start()
        await housekeeper.start()
        await retention.start()

        async def replan() -> None:
            await poster.refresh_all()
            await housekeeper.start()
            await retention.start()

        reloader = Reloader(config.path, config, [core.rooms, transport.rooms], replan)
        loop.add_signal_handler(signal.SIGHUP, lambda: asyncio.ensure_future(reloader.reload()))
        if hup_early.is_set():
            await reloader.reload()
        ops = await start_ops(config, core, transport)
        try:
            await transport.start(core.handle)
        finally:
            if ops is not None:
                await ops.stop()
            scheduler.shutdown(wait=False)
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
    finally:
        await transport.close()
        await core.storage.close()
        log.info("stopped")
