"""Keeps the bot's long-lived tasks alive: the outbox sender, each network.

A bare task that raises is gone for good, and nothing notices: replies
stay queued while `/healthz` is green. Here each named task runs in a loop
of its own (in the spirit of `asyncio.TaskGroup`, but one failure restarts
that task instead of cancelling the others):

- a task that returns has finished (a network asked to stop): no restart;
- an exception is logged with its traceback the first time; the same
  failure again while restarting is one line, not a traceback a second;
- the task restarts after a backoff that doubles (0.5 s up to 30 s) and
  starts over once a run lasted `healthy_after`; each restart is counted
  in `allies_task_restarts_total{task}`;
- a task that failed `failing_after` times in a row without a healthy run
  is failing, and `problem()` (a `/healthz` check) names it.

`wind_down()` stops any restart (the bot is stopping: a task waiting out
its backoff ends at once); `stop()` also cancels what still runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.ops.metrics import TASK_RESTARTS

log = logging.getLogger(__name__)
Clock = Callable[[], float]


@dataclass(frozen=True)
class Backoff:
    first: float = 0.5
    cap: float = 30.0
    healthy_after: float = 60.0  # a run this long resets the backoff and the count
    failing_after: int = 3  # failures in a row that make a task "failing"

    def delay(self, failures: int) -> float:
        return min(self.first * 2 ** max(failures - 1, 0), self.cap)


def signature(exc: BaseException) -> tuple[str, str, int]:
    """What makes two failures "the same": the type and where it was raised."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return type(exc).__qualname__, "", 0
    return type(exc).__qualname__, tb.tb_frame.f_code.co_filename, tb.tb_lineno


class Repeats:
    """Tells a new failure (worth its traceback in the log) from a repeat of
    the last one (worth a line)."""

    def __init__(self) -> None:
        self._last: tuple[str, str, int] | None = None

    def is_new(self, exc: BaseException) -> bool:
        seen, self._last = self._last, signature(exc)
        return seen != self._last

    def forget(self) -> None:
        self._last = None


def describe(exc: BaseException, limit: int = 160) -> str:
    """One short line for `/healthz` and the repeat log line."""
    text = f"{type(exc).__name__}: {exc}".splitlines()[0] if str(exc) else type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class TaskHealth:
    name: str
    failures: int = 0  # in a row, without a healthy run between
    restarts: int = 0
    last_error: str | None = None
    running_since: float | None = None  # clock() when the current run began


class Supervisor:
    def __init__(self, policy: Backoff | None = None, clock: Clock = time.monotonic) -> None:
        self.policy = policy or Backoff()
        self.clock = clock
        self.health: dict[str, TaskHealth] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._repeats: dict[str, Repeats] = {}
        self._closing = asyncio.Event()

    def start(self, name: str, run: Callable[[], Awaitable[None]]) -> asyncio.Task[None]:
        """Run `run()` under supervision; the task ends when it returns."""
        self.health[name] = TaskHealth(name)
        self._repeats[name] = Repeats()
        task = asyncio.create_task(self._supervise(name, run), name=name)
        self._tasks[name] = task
        return task

    def wind_down(self) -> None:
        """No more restarts: the bot is stopping."""
        self._closing.set()

    async def stop(self) -> None:
        """Cancel every task still running and wait for them all."""
        self.wind_down()
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    def is_failing(self, health: TaskHealth) -> bool:
        if health.failures < self.policy.failing_after:
            return False
        since = health.running_since
        return since is None or self.clock() - since < self.policy.healthy_after

    async def problem(self) -> str | None:
        """The `/healthz` check: None, or which tasks keep failing and why."""
        failing = [h for h in self.health.values() if self.is_failing(h)]
        if not failing:
            return None
        return "; ".join(
            f"{h.name} keeps failing ({h.failures} times in a row; last {h.last_error})"
            for h in failing
        )

    async def _supervise(self, name: str, run: Callable[[], Awaitable[None]]) -> None:
        health = self.health[name]
        while not self._closing.is_set():
            health.running_since = self.clock()
            try:
                await run()
                return
            except Exception as exc:
                delay = self._failed(health, exc)
            finally:
                health.running_since = None
            if not await self._pause(delay):
                return
            health.restarts += 1
            TASK_RESTARTS.labels(name).inc()

    def _failed(self, health: TaskHealth, exc: Exception) -> float:
        """Count the failure, log it (its traceback only if new); the backoff."""
        assert health.running_since is not None
        repeats = self._repeats[health.name]
        if self.clock() - health.running_since >= self.policy.healthy_after:
            health.failures = 0  # it had been fine: a new incident
            repeats.forget()
        health.failures += 1
        health.last_error = describe(exc)
        delay = self.policy.delay(health.failures)
        if repeats.is_new(exc):
            log.error("task %s failed; restarting in %.1f s", health.name, delay, exc_info=exc)
        else:
            log.warning(
                "task %s failed again (%s; %d in a row); restarting in %.1f s",
                health.name,
                health.last_error,
                health.failures,
                delay,
            )
        return delay

    async def _pause(self, seconds: float) -> bool:
        """Wait out the backoff; False if the bot began stopping meanwhile."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)
        return not self._closing.is_set()
