"""Wiring: real storage, router, core and a transport, for each CLI mode."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from datetime import UTC
from functools import partial
from typing import TextIO

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.chat.console import ConsoleTransport
from bot.chat.switch import TransportSwitch
from bot.chat.transport import Incoming, private_user
from bot.config import Config
from bot.config.problems import MATRIX, TEAMS
from bot.ops.metrics import OUTBOX_DEPTH, SYNC_LAG
from bot.ops.server import HealthCheck, OpsServer
from bot.runtime.core import BotCore, utc_now
from bot.runtime.housekeeping import Housekeeper
from bot.runtime.outbox import OutboxSender
from bot.runtime.poster import Poster
from bot.runtime.privacy import RetentionJob
from bot.runtime.reload import Reloader
from bot.runtime.supervisor import Supervisor
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


async def start_ops(
    config: Config, core: BotCore, networks: dict, tasks: Supervisor
) -> OpsServer | None:
    """`/healthz` and `/metrics`, when `[ops] listen` asks for them."""
    if config.ops is None:
        return None

    async def storage_problem() -> str | None:
        await core.storage.ping()
        return None

    async def refresh() -> None:
        async with core.storage.transaction() as repo:
            OUTBOX_DEPTH.set(await repo.pending_count())
        for name, transport in networks.items():
            lag = transport.sync_lag()
            if lag is not None:
                SYNC_LAG.labels(name).set(lag)

    checks = [HealthCheck("storage", storage_problem), HealthCheck("tasks", tasks.problem)]
    checks += [HealthCheck(name, transport.health) for name, transport in networks.items()]
    age = core.outbox.oldest_pending_age
    server = OpsServer(config.ops.host, config.ops.port, checks, refresh, outbox_age=age)
    await server.start()
    return server


def _networks(config: Config, core: BotCore) -> dict:
    """The adapters this config needs: Matrix for groups with a `room`,
    Teams for groups with a `teams_conversation` (each imported only then)."""
    networks: dict = {}
    if config.groups_on(MATRIX):
        from bot.chat.matrix.transport import MatrixTransport

        networks[MATRIX] = MatrixTransport(config, core.storage)
    if config.groups_on(TEAMS):
        from bot.chat.teams.transport import TeamsTransport

        networks[TEAMS] = TeamsTransport(config, core.storage)
        networks[TEAMS].on_reachable = core.outbox.wake
    return networks


def _switch(networks: dict) -> TransportSwitch:
    """Teams owns its channels and people's private channels by e-mail
    address; Matrix (when there) takes everything else."""
    routes = []
    if TEAMS in networks:
        teams = networks[TEAMS]

        def teams_owns(room_id: str) -> bool:
            person = private_user(room_id)
            return room_id in teams.rooms or (person is not None and not person.startswith("@"))

        routes.append((teams_owns, teams))
    if MATRIX in networks:
        routes.append((lambda room_id: True, networks[MATRIX]))
    return TransportSwitch(routes)


async def _connect(networks: dict, core: BotCore) -> None:
    for transport in networks.values():
        for room_id, group in (await transport.connect()).items():
            core.bind_room(room_id, group)


async def _serve(networks: dict, core: BotCore, tasks: Supervisor) -> None:
    """Run every network until one stops (a signal stops them all); one that
    fails is restarted by the supervisor, not the end of the bot."""
    running = [tasks.start(n, partial(t.start, core.handle)) for n, t in networks.items()]
    await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
    tasks.wind_down()
    for transport in networks.values():
        await transport.stop()
    await asyncio.gather(*running, return_exceptions=True)


async def run_bot(config: Config) -> None:
    """The bot proper, on every network the config names: runs until SIGINT/SIGTERM."""
    loop = asyncio.get_running_loop()
    hup_early = asyncio.Event()  # SIGHUP while starting: reload once started, never die of it
    loop.add_signal_handler(signal.SIGHUP, hup_early.set)
    core = await build_core(config, long_running=True)
    networks = _networks(config, core)
    switch = _switch(networks)
    tasks = Supervisor()

    def stop() -> None:
        tasks.wind_down()  # a task waiting out its backoff ends now, not in 30 s
        asyncio.ensure_future(switch.stop())  # noqa: RUF006 (sets events: done in one step)

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)
    try:
        await _connect(networks, core)
        tasks.start("outbox", partial(core.outbox.run, switch))
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

        rooms = [core.rooms, *(t.rooms for t in networks.values())]
        reloader = Reloader(config.path, config, rooms, replan)
        loop.add_signal_handler(signal.SIGHUP, lambda: asyncio.ensure_future(reloader.reload()))
        if hup_early.is_set():
            await reloader.reload()
        ops = await start_ops(config, core, networks, tasks)
        try:
            await _serve(networks, core, tasks)
        finally:
            if ops is not None:
                await ops.stop()
            scheduler.shutdown(wait=False)
            await tasks.stop()
    finally:
        for transport in networks.values():
            await transport.close()
        await core.storage.close()
        log.info("stopped")
