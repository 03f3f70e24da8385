"""`python -m bench.teams`: the bot in a Teams channel against the SDK floor
(`bench/teams_floor.py`), both behind Microsoft's Teams emulator.

Commands go in as Teams delivers them; answers are read off the emulator's
WebSocket, the stream its chat UI shows. Ack latency: the POST of a command
to the emulator until the reply frame arrives in that command's thread.

One emulator per subject, both started once and left running: an
emulator's bot endpoint (`-e`) is fixed at start (its HTTP client is built
with it), and restarting one per block costs seconds, drops its threads and
sends its first deliveries down dead keep-alive connections (it never
retries): every block would open by measuring a reconnect. An idle emulator
costs memory, not CPU. The subjects take turns in blocks (bot, floor, floor,
bot, ...), never both at once, so drift falls on both alike; the bot runs
throughout and keeps its state. A block sends on a fixed timetable (open
loop): 70 % a member's `update` into a thread the chair opened (a custom
activity), 30 % the chair's `next` / `help` as new posts. About 2 % of
activities are delivered twice, same body, as Teams does when it retries:
a second answer is a duplicate for the bot; the floor has no dedupe, so its
double answers are expected and reported apart. Redelivered commands count
in neither subject's latency. Lost: no answer within 30 s. Targets are
reported, not asserted; the exit status says whether the run completed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import signal
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.cli import REPO, RESULTS_MD, progress, update_results_md
from bench.e2e import Subject, cpu_seconds
from bench.teams_report import (
    REPLY_TIMEOUT,
    build_results,
    results_md_section,
    summarise,
    table,
)
from tests.integration import teams_playground as tp

READY = "Teams messaging endpoint on"  # the bot's line; the floor logs the same
SETTLE = 2.0  # after the last block, for a late second answer to show
EXIT_NO_EMULATOR = 3
ALLIANCES = ("FORTHEM", "UNA Europa", "EUt+", "ECIU")  # one member each, all on the roster
ROSTER = list(zip((tp.MEMBER, tp.SILENT, *tp.FILLERS), ALLIANCES, strict=True))
OUTPUT = {"full": "teams.json", "smoke": "teams-smoke.json"}


@dataclass(frozen=True)
class Plan:
    commands: int = 600  # measured, per subject
    blocks: int = 6  # per subject
    rate: float = 5.0  # commands per second in a block
    warmup: int = 6  # per subject before its first block: every member speaks once
    redeliver: float = 0.03  # share of updates delivered twice (~2 % of all activities)
    redeliver_after: float = 0.0  # s after the first POST; 0: while the first is in work
    seed: int = 7


SMOKE = Plan(commands=40, blocks=2, rate=10.0)


@dataclass
class Command:
    block: int  # -1: warm-up
    text: str
    sender: int | None  # index into ROSTER; None: the chair
    redeliver: bool = False
    thread: str = ""  # an update's pre-opened thread; a chair post's own
    sent_at: float = 0.0
    error: str | None = None


def make_commands(plan: Plan) -> list[Command]:
    """The same seeded sequence for both subjects (each gets its own copy)."""
    rng, commands = random.Random(plan.seed), []
    for i in range(plan.warmup + plan.commands):
        block = (i - plan.warmup) * plan.blocks // plan.commands if i >= plan.warmup else -1
        if block < 0:
            kind = "update" if i < len(ROSTER) else ("next", "help")[i % 2]
        else:
            kind = rng.choices(["update", "next", "help"], weights=[70, 15, 15])[0]
        if kind != "update":
            commands.append(Command(block, kind, None))
            continue
        text = (
            f"update note {i}: we mapped {rng.randint(2, 40)} ULLL offers and drafted a "
            f"micro-credential pilot with {rng.randint(1, 9)} partner universities"
        )
        redo = block >= 0 and rng.random() < plan.redeliver
        commands.append(Command(block, text, i % len(ROSTER), redo))
    return commands


def bot_config(port: int) -> str:
    """Chair, four members, the next meeting three weeks away (`next` has an
    answer and nothing automatic falls due during the run)."""
    upcoming = (datetime.now(UTC) + timedelta(days=21)).replace(hour=10, minute=0)
    members = "".join(
        f'[[groups.members]]\nuser = "{user.email}"\nalliance = "{alliance}"\n'
        for user, alliance in ROSTER
    )
    return (
        f'[teams]\nallow_anonymous = true\nhost = "127.0.0.1"\nport = {port}\n'
        '[storage]\nurl = "sqlite+aiosqlite:///data/bot.db"\ndata_dir = "data"\n'
        f'[[groups]]\nid = "allies"\nname = "ALLIES"\nteams_conversation = "{tp.CHANNEL}"\n'
        f'timezone = "Europe/Brussels"\nchairs = ["{tp.CHAIR.email}"]\n{members}'
        f'[groups.cadence]\ndates = ["{upcoming:%Y-%m-%d %H:%M}"]\nduration = "1h"\n'
        '[groups.announce]\nagenda_before = "7d"\nreminders = ["1d"]\nchase_updates = "off"\n'
    )


class _Arrivals(list):
    """`Playground.posts`; each new post also stamped on arrival, by thread."""

    def __init__(self) -> None:
        super().__init__()
        self.replies: dict[str, list[float]] = defaultdict(list)

    def append(self, frame: dict) -> None:
        now = time.monotonic()
        super().append(frame)
        if frame.get("action") == "createMessage":
            self.replies[frame.get("actionConversationId", "")].append(now)


class TimedPlayground(tp.Playground):
    def __init__(self, workdir: Path, bot_url: str) -> None:
        super().__init__(workdir, bot_url)
        self.posts = _Arrivals()

    async def start(self) -> None:
        """Also keeps reading the emulator's stdout: a full pipe would stall it."""
        await super().start()
        self._drain = asyncio.create_task(self._discard(self.process.stdout))

    @staticmethod
    async def _discard(stream: asyncio.StreamReader) -> None:
        while await stream.read(65536):
            pass


@dataclass
class Side:
    """One subject: its process, its emulator, its copy of the commands."""

    name: str
    process: Subject
    playground: TimedPlayground
    commands: list[Command]
    startup_s: float = 0.0
    cpu_s: float = 0.0  # the subject's CPU during its blocks (drain included)
    emulator_cpu_s: float = 0.0  # its emulator's, the same spans

    def answers(self, command: Command) -> list[float]:
        return self.playground.posts.replies.get(command.thread, []) if command.thread else []


async def wait_ready(subject: Subject, timeout: float = 60.0) -> float:
    """Seconds from spawning to READY (polled: ±20 ms)."""
    while READY not in subject.log():
        if subject.process.returncode is not None or time.time() > subject.spawned_at + timeout:
            raise RuntimeError(f"{subject.name} never got ready:\n{subject.log()[-3000:]}")
        await asyncio.sleep(0.02)
    return time.time() - subject.spawned_at


async def open_threads(side: Side) -> None:
    """A chair's thread per update, opened before anything is measured (the
    emulator delivers no post without the bot's @mention: no subject sees them)."""
    gate = asyncio.Semaphore(8)

    async def one(command: Command) -> None:
        async with gate:
            command.thread = await side.playground.new_thread()

    await asyncio.gather(*(one(c) for c in side.commands if c.sender is not None))


async def send(playground: TimedPlayground, command: Command, redeliver_after: float) -> None:
    command.sent_at = time.monotonic()
    try:
        if command.sender is None:
            command.thread = await playground.chair_says(command.text)
            return
        user = ROSTER[command.sender][0]
        activity = await playground.activity_from(user, command.text, thread=command.thread)
        if command.redeliver:
            await asyncio.sleep(redeliver_after)
            await playground.deliver(activity)
    except Exception as exc:  # counted, not fatal: the timetable goes on
        command.error = f"{type(exc).__name__}: {exc}"[:300]


async def run_block(side: Side, batch: list[Command], plan: Plan) -> None:
    """Send on the timetable, then wait for every answer (or its timeout)."""
    pid, emulator = side.process.pid, side.playground.process.pid
    cpu0, emu0, start = cpu_seconds(pid) or 0.0, cpu_seconds(emulator) or 0.0, time.monotonic()
    tasks = []
    for number, command in enumerate(batch):
        await asyncio.sleep(max(0.0, start + number / plan.rate - time.monotonic()))
        tasks.append(asyncio.create_task(send(side.playground, command, plan.redeliver_after)))
    await asyncio.gather(*tasks)
    while any(
        not c.error and not side.answers(c) and time.monotonic() - c.sent_at < REPLY_TIMEOUT
        for c in batch
    ):
        await asyncio.sleep(0.02)
    side.cpu_s += (cpu_seconds(pid) or 0.0) - cpu0
    side.emulator_cpu_s += (cpu_seconds(emulator) or 0.0) - emu0


async def run(plan: Plan, workdir: Path) -> dict[str, dict[str, Any]]:
    """Both emulators, the subjects (started one after the other: start-up is
    timed), the threads, a warm-up each, the blocks; the summaries."""
    sides: dict[str, Side] = {}
    try:
        for name in ("bot", "floor"):
            port = tp.free_port()
            argv = [sys.executable, "-m", "bench.teams_floor", "--port", str(port)]
            if name == "bot":
                config = workdir / "bot" / "config.toml"
                (config.parent / "data").mkdir(parents=True)
                config.write_text(bot_config(port))
                argv = [sys.executable, "-m", "bot.cli", "run", "--config", str(config)]
            url = f"http://127.0.0.1:{port}/api/messages"
            playground = TimedPlayground(workdir / f"{name}-emulator", url)
            process = Subject(name, argv, {}, workdir)
            sides[name] = Side(name, process, playground, make_commands(plan))
        await asyncio.gather(*(side.playground.start() for side in sides.values()))
        for side in sides.values():
            await side.process.start()
            side.startup_s = await wait_ready(side.process)
            await side.playground.install()
        await asyncio.gather(*(open_threads(side) for side in sides.values()))
        for side in sides.values():
            await run_block(side, [c for c in side.commands if c.block < 0], plan)
            side.cpu_s = side.emulator_cpu_s = 0.0
        for number in range(plan.blocks):
            for name in ("bot", "floor") if number % 2 == 0 else ("floor", "bot"):
                side = sides[name]
                batch = [c for c in side.commands if c.block == number]
                await run_block(side, batch, plan)
                done = sum(bool(side.answers(c)) for c in batch)
                progress(f"block {number + 1}/{plan.blocks}, {name}: {done}/{len(batch)} answered")
        await asyncio.sleep(SETTLE)
        return {name: summarise(side) for name, side in sides.items()}
    finally:
        for side in sides.values():
            await side.process.stop()
        await asyncio.gather(*(side.playground.stop() for side in sides.values()))


def _interrupted(*_: object) -> None:
    raise KeyboardInterrupt  # SIGTERM as Ctrl-C: `finally` stops the emulators too


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.teams")
    parser.add_argument("--commands", type=int, help="measured commands per subject (600)")
    parser.add_argument("--blocks", type=int, help="blocks per subject (6)")
    parser.add_argument("--rate", type=float, help="commands per second (5)")
    parser.add_argument("--redeliver-after", type=float, help="seconds (0: while in work)")
    parser.add_argument("--smoke", action="store_true", help="a short run, what CI does")
    parser.add_argument("--output", type=Path, help="JSON file (bench/results/teams.json)")
    parser.add_argument("--keep", action="store_true", help="keep the logs and emulator folders")
    parser.add_argument(
        "--results-md", type=Path, default=RESULTS_MD, help="where a full run writes its table"
    )
    parser.add_argument("--no-results-md", action="store_true", help="leave RESULTS.md alone")
    args = parser.parse_args(argv)
    mode = "smoke" if args.smoke else "full"
    given = {k: getattr(args, k) for k in ("commands", "blocks", "rate", "redeliver_after")}
    chosen = {k: v for k, v in given.items() if v is not None}
    plan = Plan(**{**asdict(SMOKE if args.smoke else Plan()), **chosen})
    if not tp.NODE.exists():
        print(f"no Teams emulator: `npm ci` in {tp.HERE}", file=sys.stderr)
        return EXIT_NO_EMULATOR
    signal.signal(signal.SIGTERM, _interrupted)
    workdir, started = Path(tempfile.mkdtemp(prefix="allies-bench-teams-")), time.monotonic()
    progress(f"{plan}; work folder {workdir}")
    try:
        runs = asyncio.run(run(plan, workdir))
    except Exception:
        for log in sorted(workdir.glob("*.log")):
            print(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}", file=sys.stderr)
        raise
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    results = build_results(mode, plan, runs["bot"], runs["floor"], time.monotonic() - started)
    output = args.output or REPO / "bench" / "results" / OUTPUT[mode]
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(table(results))
    print(f"\nresults: {output} (run {results['run_s']:.0f} s)")
    if not (args.smoke or args.no_results_md):  # smoke runs (CI) never replace the figures
        update_results_md(args.results_md, "teams", results_md_section(results))
        print(f"table: {args.results_md}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
