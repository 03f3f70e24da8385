"""Wiring: real storage, router, core and a transport, for each CLI mode."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, TextIO

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.chat.console import ConsoleTransport
from bot.chat.network import NETWORKS, Network, network_class
from bot.chat.stopping import unless_stopped
from bot.chat.switch import TransportSwitch
from bot.chat.transport import Incoming
from bot.cli.console_time import ConsoleClock, ConsoleTime
from bot.cli.reach import Reach, start_reach
from bot.config import Config, GroupConfig
from bot.config.directory import GroupDirectory
from bot.ops.health import HealthCheck
from bot.ops.metrics import OUTBOX_DEPTH, SYNC_LAG
from bot.runtime.core import BotCore, utc_now
from bot.runtime.housekeeping import Housekeeper
from bot.runtime.outbox import OutboxSender
from bot.runtime.poster import Poster
from bot.runtime.privacy import RetentionJob
from bot.runtime.reload import Reloader
from bot.runtime.supervisor import Supervisor
from handlers import build_router
from storage.db import Storage

if TYPE_CHECKING:
    from bot.ops.server import OpsServer

log = logging.getLogger(__name__)


async def build_core(
    config: Config, *, long_running: bool = False, clock: Callable[[], datetime] = utc_now
) -> BotCore:
    """Storage migrated to head, every command registered. A long-running bot
    upgrades its database in a child process (`Storage.migrate`), so it never
    carries Alembic in memory."""
    config.storage.data_dir.mkdir(parents=True, exist_ok=True)
    storage = Storage(config.storage.url)
    await storage.migrate(in_child=long_running)
    return BotCore(storage, build_router(), OutboxSender(storage, clock), clock)


async def run_console(
    config: Config,
    as_user: str | None,
    group_id: str | None = None,
    *,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
    clock: ConsoleClock | None = None,
) -> None:
    group = next((g for g in config.groups if group_id in (None, g.id)), None)
    if group is None:
        raise SystemExit(f"no group with id {group_id!r} in {config.path}")
    sender = as_user or (group.members[0].user if group.members else "@guest:localhost")
    clock = clock or ConsoleClock()
    core = await build_core(config, clock=clock)
    time = ConsoleTime(core, clock, group)
    commands = {
        "time": ("/time <date and time>", "move the clock forward to then", time.time_command),
        "wait": ("/wait <length>", "move the clock forward, e.g. /wait 7d", time.wait_command),
    }
    files = config.storage.data_dir / "files"
    transport = ConsoleTransport(
        group.room, sender, stdin, stdout, files_dir=files, commands=commands, clock=clock
    )
    core.bind_room(group.room, group)
    core.outbox.attach(transport)
    await time.catch_up()

    async def on_event(event: Incoming) -> None:
        await core.handle(event)
        await time.catch_up()

    ticking = asyncio.create_task(time.tick())
    try:
        await transport.start(on_event)
    finally:
        ticking.cancel()
        await core.storage.close()


async def start_ops(
    config: Config,
    core: BotCore,
    networks: dict,
    tasks: Supervisor,
    more: Sequence[HealthCheck] = (),
) -> OpsServer | None:
    """`/healthz` and `/metrics`, when `[ops] listen` asks for them (the
    server's module is imported only then)."""
    if config.ops is None:
        return None
    from bot.ops.server import OpsServer

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
    checks += more
    age = core.outbox.oldest_pending_age
    server = OpsServer(config.ops.host, config.ops.port, checks, refresh, outbox_age=age)
    await server.start()
    return server


def _networks(config: Config, core: BotCore) -> dict[str, Network]:
    """The networks this config uses, each registered by its name
    (`bot.chat.network.NETWORKS`) and imported only when a group is on it."""
    networks: dict[str, Network] = {}
    for name in NETWORKS:
        if config.groups_on(name):
            network = network_class(name)(config, core.storage, core.directory)
            network.on_reachable = core.outbox.wake
            networks[name] = network
    return networks


async def _connect(networks: dict[str, Network], core: BotCore, config: Config) -> None:
    """Every network resolves its rooms; the directory is then built once,
    from the config and those rooms, and swapped in whole."""
    rooms: dict[str, GroupConfig] = {}
    for network in networks.values():
        rooms.update(await network.connect())
    core.directory.swap(GroupDirectory.of(config.groups, rooms))


def _listen(networks: dict, core: BotCore, tasks: Supervisor) -> list[asyncio.Task]:
    """Every network starts syncing now; one that fails is restarted by the
    supervisor, not the end of the bot."""
    return [tasks.start(n, partial(t.start, core.handle)) for n, t in networks.items()]


async def _serve(running: list[asyncio.Task], networks: dict, tasks: Supervisor) -> None:
    """Run every network until one stops (a signal stops them all)."""
    await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
    tasks.wind_down()
    for transport in networks.values():
        await transport.stop()
    await asyncio.gather(*running, return_exceptions=True)


async def _schedule(
    core: BotCore, scheduler: AsyncIOScheduler, config: Config, hup_early: asyncio.Event
) -> None:
    """The scheduled posts (with their catch-up), the housekeeping and the
    retention, and SIGHUP re-planning them all after a reload."""
    poster, housekeeper = Poster(core, scheduler), Housekeeper(core, scheduler)
    retention = RetentionJob(core, scheduler)
    await poster.start()
    await housekeeper.start()
    await retention.start()

    async def replan() -> None:
        await poster.refresh_all()
        await housekeeper.start()
        await retention.start()

    reloader = Reloader(config.path, config, core.directory, replan)
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGHUP, lambda: asyncio.ensure_future(reloader.reload()))
    if hup_early.is_set():
        await reloader.reload()


def settle_heap() -> None:
    """What start-up built (modules, the config, the schema, the wiring) lives
    as long as the process: moved out of the collector's sight (`gc.freeze`),
    so a collection during a command walks only what commands made; then the
    collector is on (`allies-bot run` starts with it off, bot.cli.main).

    No collection first: walking start-up's ~120,000 objects takes about
    95 ms, on the way to the first reply, to find ~2,700 unreachable ones
    (about 0.6 MB), which are kept instead."""
    gc.freeze()
    gc.enable()
    log.debug("%d objects kept out of garbage collection", gc.get_freeze_count())


async def run_bot(config: Config) -> None:
    """The bot proper, on every network the config names: runs until SIGINT/SIGTERM."""
    loop = asyncio.get_running_loop()
    hup_early = asyncio.Event()  # SIGHUP while starting: reload once started, never die of it
    loop.add_signal_handler(signal.SIGHUP, hup_early.set)
    core = await build_core(config, long_running=True)
    networks = _networks(config, core)  # the networks' libraries are imported here
    settle_heap()
    switch = TransportSwitch(networks)
    tasks = Supervisor()
    stopping = asyncio.Event()

    def stop() -> None:
        stopping.set()
        tasks.wind_down()  # a task waiting out its backoff ends now, not in 30 s
        asyncio.ensure_future(switch.stop())  # noqa: RUF006 (sets events: done in one step)

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)
    reach: Reach | None = None
    try:
        # connecting waits out an unreachable homeserver with nio's retries
        connected, _ = await unless_stopped(_connect(networks, core, config), stopping)
        if not connected or stopping.is_set():
            log.info("stopped while connecting")
            return
        core.outbox.attach(switch)  # links in the first posts are built by the networks
        tasks.start("outbox", partial(core.outbox.run, switch))
        # mail before the first posts: the catch-up below may already queue some
        reach = await start_reach(config, core, tasks)
        # Commands sent while the bot was down are read and answered while the
        # rest starts: the scheduled posts' catch-up needs nothing a command
        # does (a command that moves a meeting re-plans it once the poster
        # listens, and the poster's own start reads what is stored by then).
        running = _listen(networks, core, tasks)
        scheduler = AsyncIOScheduler(timezone=UTC)
        ops: OpsServer | None = None
        try:
            await _schedule(core, scheduler, config, hup_early)
            ops = await start_ops(config, core, networks, tasks, reach.checks)
            await _serve(running, networks, tasks)
        finally:
            if ops is not None:
                await ops.stop()
            if scheduler.running:
                scheduler.shutdown(wait=False)
            await tasks.stop()
    finally:
        if reach is not None:
            await reach.stop()
        for transport in networks.values():
            await transport.close()
        await core.storage.close()
        log.info("stopped")
