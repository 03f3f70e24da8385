"""`bot.chat.stopping.unless_stopped`: what a stop abandons and what it does not."""

import asyncio

import pytest

from bot.chat.stopping import unless_stopped


async def test_work_that_finishes_first_gives_its_result():
    async def work() -> str:
        await asyncio.sleep(0)
        return "done"

    assert await unless_stopped(work(), asyncio.Event()) == (True, "done")


async def test_a_stop_midway_cancels_the_work_and_waits_for_it():
    stopping, ended = asyncio.Event(), []

    async def work() -> str:
        try:
            await asyncio.sleep(30)
        finally:
            ended.append("cleaned up")
        return "never"

    asyncio.get_running_loop().call_later(0.01, stopping.set)
    assert await unless_stopped(work(), stopping) == (False, None)
    assert ended == ["cleaned up"]


async def test_a_stop_already_set_abandons_work_that_would_wait():
    stopping = asyncio.Event()
    stopping.set()
    assert await unless_stopped(asyncio.sleep(30, "late"), stopping) == (False, None)


async def test_the_works_failure_is_raised():
    async def work() -> None:
        raise LookupError("no such room")

    with pytest.raises(LookupError, match="no such room"):
        await unless_stopped(work(), asyncio.Event())


async def test_cancelling_the_caller_cancels_the_work_and_goes_on():
    started, ended = asyncio.Event(), []

    async def work() -> None:
        started.set()
        try:
            await asyncio.sleep(30)
        finally:
            ended.append("cancelled too")

    caller = asyncio.ensure_future(unless_stopped(work(), asyncio.Event()))
    await started.wait()
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    assert ended == ["cancelled too"]
