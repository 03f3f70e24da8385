"""End-to-end runs: one Synapse, the same members and command plan for the
bot and for the floor, driven in alternating blocks (never both at once:
two cores).

Per subject (the real `allies-bot run` process, `bench.floor_bot` on
matrix-nio or `bench.bare_floor` on plain aiohttp): a
fresh room with the same members, the process started and timed to its
first completed sync, a short warm-up, a steady phase (open loop: commands
sent on a fixed timetable, whatever the replies do) and bursts (every member
sends at once). Latency is send -> reply arriving at a member's syncing
client. Lost and duplicate answers are counted from the room's history on
the server, so they do not depend on the observing client.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import random
import secrets
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench.loadgen import Account, Api, ApiError, Observer, reply_target
from bench.profile import Profiler
from tests.integration.synapse_server import SynapseServer

REPO = Path(__file__).resolve().parents[1]
READY = "sync loop running"
BRUSSELS = ZoneInfo("Europe/Brussels")
LOG_TIME_FORMAT = "%Y-%m-%d %H:%M:%S,%f"
START_TIMEOUT = 60.0
# The floors: the least a bot can do per command, with matrix-nio and without it.
FLOORS = {"floor": "bench.floor_bot", "bare": "bench.bare_floor"}


@dataclass(frozen=True)
class Plan:
    members: int = 50
    commands: int = 1000  # measured commands: steady + bursts (warm-up not included)
    burst_share: float = 0.7
    burst_size: int = 100
    # Steady phase, commands per second. Synapse (one Python process on SQLite)
    # spends ~35 ms of CPU per event in a 50-member room, and each command is
    # two events (command + answer): 10/s already saturates it and then every
    # figure measures Synapse's queue, not the bot. 5/s keeps it at about a third.
    rate: float = 5.0
    warmup: int = 10
    block: int = 50  # steady commands sent to one subject before switching to the other
    pause: float = 0.5  # between bursts
    reply_timeout: float = 30.0  # a command unanswered this long after sending is lost
    observers: int = 1  # syncing clients per room (people reading, not on the roster)
    seed: int = 6
    groups: int = 60  # the `bot60` subject: this many groups, each in its own room

    @property
    def burst_sizes(self) -> list[int]:
        total = round(self.commands * self.burst_share)
        sizes = [self.burst_size] * (total // self.burst_size)
        if total % self.burst_size:
            sizes.append(total % self.burst_size)
        return sizes

    @property
    def steady(self) -> int:
        return self.commands - sum(self.burst_sizes)


@dataclass
class Command:
    index: int
    phase: str  # "warmup", "steady", "burst"
    burst: int | None
    member: int
    kind: str  # update, next, actions, help
    body: str
    sent_at: float | None = None  # monotonic, just before the PUT
    sent_wall: float | None = None  # the same moment as time.time(), to match the bot's log
    event_id: str | None = None
    error: str | None = None


def alliance_of(index: int) -> str:
    """Two members per alliance, as in ALLIES."""
    return f"ALLIANCE-{index // 2 + 1:02d}"


def make_commands(plan: Plan) -> list[Command]:
    """The same seeded sequence for bot and floor: mostly !update, some
    !next, !actions, !help; members take turns."""
    rng = random.Random(plan.seed)
    kinds = ["update"] * 7 + ["next", "actions", "help"]
    phases = [("warmup", None)] * plan.warmup + [("steady", None)] * plan.steady
    for number, size in enumerate(plan.burst_sizes):
        phases += [("burst", number)] * size
    commands = []
    for index, (phase, burst) in enumerate(phases):
        member = index % plan.members
        kind = kinds[index % len(kinds)] if phase == "warmup" else rng.choice(kinds)
        if kind == "update":
            body = (
                f"!update {alliance_of(member)} note {index}: we mapped {rng.randint(2, 40)} "
                f"ULLL offers and drafted a micro-credential pilot with {rng.randint(1, 9)} "
                "partner universities; survey results follow next week."
            )
        else:
            body = f"!{kind}"
        commands.append(Command(index, phase, burst, member, kind, body))
    return commands


def bot_config(
    homeserver: str,
    bot_user: str,
    room: str,
    members: list[Account],
    other_rooms: tuple[str, ...] = (),
) -> str:
    """The bot's config: the benchmark room, every member on the roster, and
    a cadence whose next meeting is 3 weeks away (so `!next` has an answer and
    no agenda or reminder falls due during the run). `other_rooms` adds a
    group per room, with the same roster and calendar (the `bot60` subject:
    many groups, the load in one of them)."""
    start = (datetime.now(BRUSSELS) + timedelta(days=21)).replace(hour=11, minute=0)
    lines = [
        "[matrix]",
        f'homeserver = "{homeserver}"',
        f'user_id = "{bot_user}"',
        'device_name = "allies-bot-bench"',
        "[storage]",
        'url = "sqlite+aiosqlite:///data/bot.db"',
        'data_dir = "data"',
    ]
    for number, group_room in enumerate((room, *other_rooms)):
        group_id, name = ("allies", "ALLIES") if number == 0 else (f"g{number:02d}", f"G{number}")
        lines += _group_lines(group_id, name, group_room, members, start)
    return "\n".join(lines) + "\n"


def _group_lines(
    group_id: str, name: str, room: str, members: list[Account], start: datetime
) -> list[str]:
    lines = [
        "[[groups]]",
        f'id = "{group_id}"',
        f'name = "{name}"',
        f'room = "{room}"',
        'timezone = "Europe/Brussels"',
        f"chairs = {json.dumps([members[0].user_id])}",
        f"vice_chairs = {json.dumps([m.user_id for m in members[1:2]])}",
        'call_link = "https://meet.example.org/allies"',
    ]
    for index, member in enumerate(members):
        lines += ["[[groups.members]]", f'user = "{member.user_id}"']
        lines.append(f'alliance = "{alliance_of(index)}"')
    lines += [
        "[groups.cadence]",
        f'start = "{start:%Y-%m-%d %H:%M}"',
        'every = "6 weeks"',
        'duration = "2h"',
        "[groups.announce]",
        'agenda_before = "7d"',
        'reminders = ["1d", "15m"]',
        'chase_updates = "off"',
        'grace = "2h"',
    ]
    return lines


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def proc_status(pid: int, key: str) -> int | None:
    """A /proc/<pid>/status value in kB (VmHWM: peak RSS, VmRSS: current)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


LEGS_ENV = "BENCH_LEGS_PATH"  # where a floor writes its seen -> sent times at exit


def io_write_bytes(pid: int) -> int | None:
    """Bytes the process caused to be written to disk (/proc/<pid>/io)."""
    try:
        for line in Path(f"/proc/{pid}/io").read_text().splitlines():
            if line.startswith("write_bytes:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


class Subject:
    """The process under test: started, timed to READY, measured, stopped."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], workdir: Path) -> None:
        self.name = name
        self.argv = argv
        self.env = env
        self.log_path = workdir / f"{name}.log"
        self.process: asyncio.subprocess.Process | None = None
        self.spawned_at = 0.0

    async def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.spawned_at = time.time()
            self.process = await asyncio.create_subprocess_exec(
                *self.argv,
                cwd=REPO,
                env={**os.environ, **self.env},
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                preexec_fn=_die_with_parent,
            )

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    async def wait_ready(self, timeout: float = START_TIMEOUT) -> float:
        """Seconds from spawning the process to its READY log line (read from
        the line's own timestamp, so polling does not add to it)."""
        deadline = time.monotonic() + timeout
        while True:
            for line in self.log().splitlines():
                if READY in line:
                    try:
                        logged = datetime.strptime(line[:23], LOG_TIME_FORMAT).timestamp()
                    except ValueError:
                        logged = time.time()
                    return logged - self.spawned_at
            if self.process is not None and self.process.returncode is not None:
                raise RuntimeError(f"{self.name} exited ({self.process.returncode}):\n{self.log()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name} never logged {READY!r}:\n{self.log()[-3000:]}")
            await asyncio.sleep(0.02)

    async def stop(self, timeout: float = 15.0) -> int | None:
        if self.process is None:
            return None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), timeout)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        return self.process.returncode


@dataclass
class RunResult:
    name: str
    room_id: str = ""
    user_id: str = ""
    startup_s: float = 0.0
    rss_peak_mb: float = 0.0
    rss_end_mb: float = 0.0
    cpu_s: float = 0.0  # CPU time of the subject from READY to the end of the run
    synapse_cpu_s: float = 0.0  # Synapse's CPU time during this subject's blocks
    wall_s: float = 0.0  # time spent on this subject's blocks
    commands: list[Command] = field(default_factory=list)
    latency: dict[str, float] = field(default_factory=dict)  # command index -> seconds
    drains: list[float] = field(default_factory=list)  # per burst, seconds
    lost: int = 0
    duplicates: int = 0
    send_errors: int = 0
    observer_gaps: int = 0
    exit_code: int | None = None
    log_path: str = ""
    disk_bytes: int | None = None  # written to disk from READY to the end of the run
    restart_reply_s: float | None = None  # spawn -> the reply to a command sent while down
    seen_to_sent: list[float] = field(default_factory=list)  # command seen -> reply sent, s


@dataclass
class Live:
    """A subject during the run: its result so far, process and observers."""

    result: RunResult
    subject: Subject
    observers: list[Observer]
    workdir: Path
    profiler: Profiler | None = None
    cpu0: float = 0.0
    io0: int = 0

    def phase(self, name: str) -> list[Command]:
        return [c for c in self.result.commands if c.phase == name]


class Bench:
    """Owns Synapse and the member accounts for both subjects."""

    def __init__(
        self,
        plan: Plan,
        workdir: Path,
        progress: Callable[[str], None],
        profile_dir: Path | None = None,
    ) -> None:
        self.plan = plan
        self.workdir = workdir
        self.progress = progress
        self.profile_dir = profile_dir
        self.synapse = SynapseServer()
        self.members: list[Account] = []
        self.api: Api | None = None

    async def __aenter__(self) -> Bench:
        started = time.monotonic()
        await self.synapse.start(self.workdir / "synapse")
        self.api = await Api(self.synapse.base_url).__aenter__()
        self.progress(f"Synapse up in {time.monotonic() - started:.1f}s; registering members")
        semaphore = asyncio.Semaphore(8)

        async def register(index: int) -> Account:
            async with semaphore:
                password = secrets.token_urlsafe(12)
                user = await self.synapse.register_user(f"m{index:03d}", password)
                return Account(user.user_id, user.access_token, password)

        self.members = list(await asyncio.gather(*map(register, range(self.plan.members))))
        await self._warm_up_synapse()
        return self

    async def _warm_up_synapse(self) -> None:
        """Every member posts twice in a scratch room first, so the run that
        goes first does not pay for Synapse's cold per-user caches alone."""
        assert self.api is not None
        room = await self._room("warm-up", None, [])
        sends = [
            self.api.send_text(member.token, room, f"hello {n}")
            for n in range(2)
            for member in self.members
        ]
        await asyncio.gather(*sends)

    async def __aexit__(self, *exc: object) -> None:
        if self.api is not None:
            await self.api.__aexit__(*exc)
        await self.synapse.stop()

    def synapse_cpu(self) -> float:
        process = getattr(self.synapse, "_proc", None)  # SynapseServer keeps it private
        return (cpu_seconds(process.pid) or 0.0) if process is not None else 0.0

    async def _room(self, name: str, subject: str | None, readers: list[Account]) -> str:
        """A room created by the chair, every member in it, plus `readers`
        (observing clients) and an invitation for the subject."""
        assert self.api is not None
        chair, others = self.members[0], self.members[1:]
        joining = others + readers
        invite = [m.user_id for m in joining] + ([subject] if subject else [])
        room = await self.api.create_room(chair.token, name, invite)
        semaphore = asyncio.Semaphore(8)

        async def join(member: Account) -> None:
            async with semaphore:
                await self.api.join(member.token, room)  # type: ignore[union-attr]

        await asyncio.gather(*map(join, joining))
        return room

    async def _other_rooms(self, name: str, bot_user: str) -> tuple[str, ...]:
        """For `bot60`: the other groups' rooms, the chair's, the bot invited."""
        if name != "bot60":
            return ()
        assert self.api is not None
        chair = self.members[0]
        return tuple(
            [
                await self.api.create_room(chair.token, f"group {n}", [bot_user])
                for n in range(1, self.plan.groups)
            ]
        )

    async def _prepare(self, name: str) -> Live:
        """A room, the observing clients and the process for one subject."""
        assert self.api is not None
        password = secrets.token_urlsafe(12)
        account = await self.synapse.register_user(f"{name}-{secrets.token_hex(3)}", password)
        # Observing clients of people who are in this room only: a member in
        # both rooms would have its long-poll woken by the other room's traffic.
        readers = []
        for number in range(max(1, self.plan.observers)):
            user = await self.synapse.register_user(f"reader-{name}-{number}", password)
            readers.append(Account(user.user_id, user.access_token, password))
        room = await self._room(f"bench {name}", account.user_id, readers)
        workdir = self.workdir / name
        workdir.mkdir(parents=True, exist_ok=True)
        if name.startswith("bot"):
            others = await self._other_rooms(name, account.user_id)
            config = workdir / "config.toml"
            config.write_text(
                bot_config(self.synapse.base_url, account.user_id, room, self.members, others)
            )
            argv = [sys.executable, "-m", "bot.cli", "run", "--config", str(config)]
            env = {"ALLIES_BOT_PASSWORD": password}
        else:
            argv = [sys.executable, "-m", FLOORS[name], "--homeserver"]
            argv += [self.synapse.base_url, "--user", account.user_id, "--room", room]
            env = {"BENCH_FLOOR_PASSWORD": password, LEGS_ENV: str(workdir / "legs.json")}
        observers = [Observer(self.api, reader, room, account.user_id) for reader in readers]
        for observer in observers:
            await observer.start()
        subject = Subject(name, argv, env, workdir)
        result = RunResult(name, room, account.user_id, log_path=str(subject.log_path))
        result.commands = make_commands(self.plan)
        return Live(result, subject, observers, workdir)

    async def run(self, order: list[str]) -> dict[str, RunResult]:
        """Both subjects through the same plan, interleaved in blocks.

        Both processes run side by side, but only one room gets traffic at a
        time (the other process waits in its long-poll and costs nothing), in
        the order A B B A A B ...: Synapse's drift over the run (its database
        grows, caches warm, the odd pause) falls on both alike instead of on
        whichever went second."""
        lives = {name: await self._prepare(name) for name in order}
        try:
            for live in lives.values():  # one at a time, so start-ups do not overlap
                await live.subject.start()
                live.result.startup_s = await live.subject.wait_ready()
                self.progress(f"{live.result.name}: ready after {live.result.startup_s:.2f}s")
            for live in lives.values():
                if self.profile_dir is not None:
                    live.profiler = Profiler(self.profile_dir, live.result.name, live.subject.pid)
                    await live.profiler.start()
                live.cpu0 = cpu_seconds(live.subject.pid) or 0.0
                live.io0 = io_write_bytes(live.subject.pid) or 0
                for command in live.phase("warmup"):
                    await self._block(live, [command])
            await self._interleave(list(lives.values()))
            for live in lives.values():
                for observer in live.observers:
                    await observer.settle(quiet=2.0, limit=10.0)
            for live in lives.values():
                if live.profiler is not None:
                    await live.profiler.stop()
                pid, result = live.subject.pid, live.result
                result.cpu_s = (cpu_seconds(pid) or 0.0) - live.cpu0
                result.rss_peak_mb = (proc_status(pid, "VmHWM") or 0) / 1024
                result.rss_end_mb = (proc_status(pid, "VmRSS") or 0) / 1024
                written = io_write_bytes(pid)
                result.disk_bytes = None if written is None else written - live.io0
            if (bot := lives.get("bot")) is not None:
                bot.result.restart_reply_s = await self._restart(bot)
        finally:
            for live in lives.values():
                live.result.exit_code = await live.subject.stop()
                for observer in live.observers:
                    await observer.stop()
        assert self.api is not None
        for live in lives.values():
            history = await self.api.history(self.members[0].token, live.result.room_id)
            self._score(live.result, live.observers, history)
            self._write_commands(live.result, live.workdir / "commands.json")
            live.result.seen_to_sent = self._seen_to_sent(live)
        return {name: live.result for name, live in lives.items()}

    async def _restart(self, live: Live) -> float | None:
        """Seconds from spawning the bot again (schema at head, session kept)
        to its reply to a command a member sent while it was down."""
        assert self.api is not None
        await live.subject.stop()
        member = self.members[0]
        event_id = await self.api.send_text(member.token, live.result.room_id, "!help")
        await asyncio.sleep(1.0)  # the command is stored before the bot comes back
        spawned = time.monotonic()
        await live.subject.start()
        await live.observers[0].wait_for_replies([event_id], spawned + self.plan.reply_timeout)
        arrivals = [o.replies[event_id][0].at for o in live.observers if event_id in o.replies]
        return min(arrivals) - spawned if arrivals else None

    def _seen_to_sent(self, live: Live) -> list[float]:
        """Command seen -> its reply's send returned: the bot's from its log
        (`bench.breakdown`), a floor's from what it wrote at exit."""
        if live.result.name == "bot":
            from bench.breakdown import legs

            return legs(self.workdir, None)["bot"]
        path = live.workdir / "legs.json"
        return json.loads(path.read_text()) if path.exists() else []

    async def _interleave(self, lives: list[Live]) -> None:
        plan = self.plan
        first = lives[0]
        steady = first.phase("steady")
        blocks = math.ceil(len(steady) / plan.block) if steady else 0
        if blocks:
            self.progress(
                f"steady: {len(steady)} commands per subject at {plan.rate:g}/s, "
                f"in {blocks} blocks each"
            )
        for number in range(blocks):
            for live in lives if number % 2 == 0 else lives[::-1]:
                chunk = live.phase("steady")[number * plan.block : (number + 1) * plan.block]
                await self._steady_block(live, chunk)
        bursts = len(plan.burst_sizes)
        for number in range(bursts):
            self.progress(f"burst {number + 1}/{bursts} ({plan.burst_sizes[number]} commands)")
            for live in lives if number % 2 == 0 else lives[::-1]:
                await asyncio.sleep(plan.pause)
                batch = [c for c in live.phase("burst") if c.burst == number]
                await self._burst(live, batch)

    async def _block(self, live: Live, batch: list[Command]) -> None:
        """Send `batch` one after the other, then wait for its replies."""
        started, synapse0 = time.monotonic(), self.synapse_cpu()
        for command in batch:
            await self._send(command, live.result.room_id)
        await self._wait(live, batch)
        live.result.wall_s += time.monotonic() - started
        live.result.synapse_cpu_s += self.synapse_cpu() - synapse0

    async def _steady_block(self, live: Live, batch: list[Command]) -> None:
        """Open loop: commands go out on a fixed timetable, whatever the replies do."""
        started, synapse0 = time.monotonic(), self.synapse_cpu()
        tasks = []
        for number, command in enumerate(batch):
            delay = started + number / self.plan.rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self._send(command, live.result.room_id)))
        await asyncio.gather(*tasks)
        await self._wait(live, batch)
        live.result.wall_s += time.monotonic() - started
        live.result.synapse_cpu_s += self.synapse_cpu() - synapse0

    async def _burst(self, live: Live, batch: list[Command]) -> None:
        """Every member sends at once (a member's own commands in order)."""
        by_member: dict[int, list[Command]] = {}
        for command in batch:
            by_member.setdefault(command.member, []).append(command)

        async def member_sends(mine: list[Command]) -> None:
            for command in mine:
                await self._send(command, live.result.room_id)

        started, synapse0 = time.monotonic(), self.synapse_cpu()
        await asyncio.gather(*(member_sends(mine) for mine in by_member.values()))
        await self._wait(live, batch)
        live.result.wall_s += time.monotonic() - started
        live.result.synapse_cpu_s += self.synapse_cpu() - synapse0
        arrivals = [self._arrival(c, live.observers) for c in batch]
        if all(a is not None for a in arrivals):
            live.result.drains.append(max(arrivals) - started)  # type: ignore[type-var]

    async def _wait(self, live: Live, batch: list[Command]) -> None:
        ids = [c.event_id for c in batch if c.event_id]
        last_sent = max((c.sent_at or 0.0) for c in batch) if batch else time.monotonic()
        await live.observers[0].wait_for_replies(ids, last_sent + self.plan.reply_timeout)

    @staticmethod
    def _write_commands(result: RunResult, path: Path) -> None:
        """Per-command record beside the subject's log (kept with --keep), for
        `python -m bench.breakdown`."""
        rows = [
            {
                "index": c.index,
                "phase": c.phase,
                "kind": c.kind,
                "event_id": c.event_id,
                "sent_wall": c.sent_wall,
                "latency": result.latency.get(str(c.index)),
            }
            for c in result.commands
        ]
        path.write_text(json.dumps(rows))

    async def _send(self, command: Command, room: str) -> None:
        assert self.api is not None
        member = self.members[command.member]
        command.sent_wall, command.sent_at = time.time(), time.monotonic()
        try:
            command.event_id = await self.api.send_text(member.token, room, command.body)
        except ApiError as exc:
            command.error = str(exc)

    @staticmethod
    def _arrival(command: Command, observers: list[Observer]) -> float | None:
        """When the first reply reached a member's client (earliest observer)."""
        times = [
            o.replies[command.event_id][0].at for o in observers if command.event_id in o.replies
        ]
        return min(times) if times else None

    def _score(
        self, result: RunResult, observers: list[Observer], history: list[dict[str, Any]]
    ) -> None:
        answers: dict[str, set[str]] = {}
        for event in history:
            target = reply_target(event)
            if target is not None and event.get("sender") == result.user_id:
                answers.setdefault(target, set()).add(event["event_id"])
        for observer in observers:
            for target, arrivals in observer.replies.items():
                answers.setdefault(target, set()).update(a.event_id for a in arrivals)
        result.observer_gaps = sum(o.gaps for o in observers)
        for command in result.commands:
            if command.event_id is None:
                result.send_errors += 1
                continue
            replies = answers.get(command.event_id, set())
            arrival = self._arrival(command, observers)
            assert command.sent_at is not None
            if arrival is not None:
                result.latency[str(command.index)] = arrival - command.sent_at
            in_time = arrival is not None and arrival - command.sent_at <= self.plan.reply_timeout
            if not replies or (arrival is not None and not in_time):
                result.lost += 1
            elif arrival is None and not result.observer_gaps:
                result.lost += 1  # in history but never reached the member's client
            if len(replies) > 1:
                result.duplicates += 1
