"""The supervisor of long-lived tasks: a failing task restarts with a
doubling backoff, its traceback is logged once per kind of failure, three
failures in a row without a healthy run make it "failing" (a `/healthz`
problem naming it), a healthy run starts the count over, a task that
returns is not restarted, and stopping interrupts a backoff."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.ops.metrics import REGISTRY
from bot.runtime.supervisor import Backoff, Supervisor

TINY = Backoff(first=0.001, cap=0.004, healthy_after=10.0, failing_after=3)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def restarts(task: str) -> float:
    return REGISTRY.get_sample_value("allies_task_restarts_total", {"task": task}) or 0.0


def test_backoff_doubles_to_its_cap():
    policy = Backoff(first=0.5, cap=30.0)
    assert [policy.delay(n) for n in range(1, 9)] == [0.5, 1, 2, 4, 8, 16, 30, 30]


async def test_restarts_until_it_works_and_logs_the_traceback_once(caplog):
    runs = 0
    done = asyncio.Event()

    async def flaky() -> None:
        nonlocal runs
        runs += 1
        if runs <= 4:
            raise ConnectionResetError("peer went away")
        done.set()
        await asyncio.Event().wait()  # then runs for good

    before = restarts("flaky")
    tasks = Supervisor(TINY, FakeClock())
    with caplog.at_level(logging.WARNING, logger="bot.runtime.supervisor"):
        tasks.start("flaky", flaky)
        await asyncio.wait_for(done.wait(), 5)
    assert runs == 5 and restarts("flaky") - before == 4
    with_traceback = [r for r in caplog.records if r.exc_info]
    assert len(with_traceback) == 1 and "task flaky failed" in with_traceback[0].getMessage()
    repeats = [r.getMessage() for r in caplog.records if not r.exc_info]
    assert len(repeats) == 3 and all("ConnectionResetError: peer went away" in m for m in repeats)
    assert "restarting in 0.0 s" in repeats[-1]
    await tasks.stop()


async def test_a_different_failure_gets_its_own_traceback(caplog):
    errors = iter([ValueError("a"), ValueError("a"), KeyError("b")])
    done = asyncio.Event()

    async def varied() -> None:
        error = next(errors, None)
        if error is None:
            done.set()
            return
        raise error

    tasks = Supervisor(TINY, FakeClock())
    with caplog.at_level(logging.WARNING, logger="bot.runtime.supervisor"):
        tasks.start("varied", varied)
        await asyncio.wait_for(done.wait(), 5)
    assert [r.exc_info[0] for r in caplog.records if r.exc_info] == [ValueError, KeyError]
    await tasks.stop()


async def test_failing_after_three_in_a_row_until_a_healthy_run():
    clock = FakeClock()
    failures = 0
    release = asyncio.Event()
    running = asyncio.Event()

    async def broken_then_fine() -> None:
        nonlocal failures
        if failures < 3:
            failures += 1
            raise RuntimeError("database is down")
        running.set()
        await release.wait()
        if failures == 3:
            failures += 1
            raise RuntimeError("down again")
        await asyncio.Event().wait()  # fine from then on

    tasks = Supervisor(Backoff(first=0.001, cap=0.001, healthy_after=10.0), clock)
    assert await tasks.problem() is None
    tasks.start("outbox", broken_then_fine)
    await asyncio.wait_for(running.wait(), 5)
    health = tasks.health["outbox"]
    assert health.failures == 3 and health.restarts == 3
    assert await tasks.problem() == (
        "outbox keeps failing (3 times in a row; last RuntimeError: database is down)"
    )
    clock.now += 10.0  # it has now run fine for a while
    assert await tasks.problem() is None
    release.set()  # the next failure, after a healthy run, counts from one
    while health.restarts < 4:
        await asyncio.sleep(0.001)
    assert health.failures == 1 and health.last_error == "RuntimeError: down again"
    await tasks.stop()


async def test_a_task_that_returns_is_not_restarted():
    runs = 0

    async def once() -> None:
        nonlocal runs
        runs += 1

    tasks = Supervisor(TINY, FakeClock())
    await asyncio.wait_for(tasks.start("network", once), 5)
    await asyncio.sleep(0.01)
    assert runs == 1 and tasks.health["network"].restarts == 0
    await tasks.stop()


async def test_stopping_ends_a_backoff_at_once():
    started = asyncio.Event()

    async def fails() -> None:
        started.set()
        raise OSError("no route")

    tasks = Supervisor(Backoff(first=60.0, cap=60.0), FakeClock())
    task = tasks.start("matrix", fails)
    await asyncio.wait_for(started.wait(), 5)
    tasks.wind_down()
    await asyncio.wait_for(task, 1)  # not after the 60 s backoff
    assert tasks.health["matrix"].restarts == 0


async def test_stop_cancels_what_runs():
    async def forever() -> None:
        await asyncio.Event().wait()

    tasks = Supervisor(TINY, FakeClock())
    task = tasks.start("outbox", forever)
    await asyncio.sleep(0)
    await asyncio.wait_for(tasks.stop(), 1)
    assert task.done()
    with pytest.raises(asyncio.CancelledError):
        task.result()
