"""Optional CPU profiles of the processes under test, with py-spy.

`python -m bench --profile DIR` attaches `py-spy record` (100 samples/s, all
threads, on-CPU samples only; py-spy pauses the process briefly per sample,
which keeps its on-CPU/idle attribution exact) to the bot and to the floor for the measured
phases and writes collapsed stacks to DIR/<name>.txt. py-spy is not a project
dependency: install it into .venv to use this (`.venv/bin/pip install py-spy`).
Profiled runs are slower; their figures are marked `"profiled": true`.

`python -m bench.profile DIR/bot.txt [--top 30] [--match bot/,handlers/,storage/]`
prints where the samples were: by own frame (leaf) and inclusive by function.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import signal
import sys
from collections import Counter
from pathlib import Path

RATE = 100  # samples per second


def py_spy() -> str | None:
    here = Path(sys.executable).parent / "py-spy"
    return str(here) if here.exists() else shutil.which("py-spy")


class Profiler:
    def __init__(self, directory: Path, name: str, pid: int) -> None:
        self.output = directory / f"{name}.txt"
        self.pid = pid
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        executable = py_spy()
        if executable is None:
            raise SystemExit("--profile needs py-spy: .venv/bin/pip install py-spy")
        self.output.parent.mkdir(parents=True, exist_ok=True)
        self.process = await asyncio.create_subprocess_exec(
            executable,
            "record",
            "--pid",
            str(self.pid),
            "--rate",
            str(RATE),
            "--format",
            "raw",
            "--output",
            str(self.output),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )

    async def stop(self) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        self.process.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
        try:
            await asyncio.wait_for(self.process.wait(), 30)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()


def idle_leaves() -> set[str]:
    """Leaf frames that are waits, not work. py-spy counts a thread blocked in
    epoll or in aiosqlite's queue `get()` as active here (both block in C with
    the GIL released), so these are dropped from "on CPU"."""
    leaves = {"EpollSelector.select (selectors.py"}
    try:
        import inspect

        import aiosqlite.core

        lines, start = inspect.getsourcelines(aiosqlite.core._connection_worker_thread)
        for offset, text in enumerate(lines):
            if "tx.get(" in text:
                leaves.add(f"_connection_worker_thread (aiosqlite/core.py:{start + offset})")
    except (ImportError, AttributeError, OSError, TypeError):
        pass
    return leaves


def _function(frame: str) -> str:
    """`name (path/to/file.py:12)` -> `name (file.py)`, so lines of one function add up."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/main/", "lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{name} ({path})"


def summarise(path: Path, top: int = 30, match: tuple[str, ...] = ()) -> str:
    leaf: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = idle = 0
    waits = tuple(idle_leaves())
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        if stack.rsplit(";", 1)[-1].startswith(waits):
            idle += count
            continue
        frames = [_function(f) for f in stack.split(";") if not f.startswith("process ")]
        frames = [f for f in frames if not f.startswith("thread ")]
        if not frames:
            continue
        total += count
        leaf[frames[-1]] += count
        for function in set(frames):
            inclusive[function] += count
    if not total:
        return f"{path}: no samples"
    lines = [
        f"{path}: {total} samples at {RATE}/s = {total / RATE:.1f} s on CPU "
        f"({idle} samples in epoll / aiosqlite queue waits left out)",
        "",
        "own time:",
    ]
    lines += [f"  {n / total:6.1%}  {name}" for name, n in leaf.most_common(top)]
    lines += ["", "inclusive:"]
    shown = [
        (name, n)
        for name, n in inclusive.most_common()
        if not match or any(m in name for m in match)
    ]
    lines += [f"  {n / total:6.1%}  {name}" for name, n in shown[:top]]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("file", type=Path)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--match", default="", help="comma-separated path parts to keep")
    args = parser.parse_args()
    match = tuple(part for part in args.match.split(",") if part)
    print(summarise(args.file, args.top, match))


if __name__ == "__main__":
    main()
