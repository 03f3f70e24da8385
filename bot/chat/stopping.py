"""Work a stop abandons: a sync's long-poll, connecting to a homeserver
that is out of reach (nio retries that without end). SIGTERM must not wait
for either."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


async def unless_stopped(work: Awaitable[T], stopping: asyncio.Event) -> tuple[bool, T | None]:
    """(True, its result) when `work` finishes first; (False, None) when
    `stopping` is set first (or already was), `work` then cancelled and
    waited for. Its failure is raised; if the caller is cancelled, `work`
    is cancelled with it and the cancellation goes on."""
    task = asyncio.ensure_future(work)
    stop = asyncio.ensure_future(stopping.wait())
    try:
        await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop.cancel()
        abandoned = not task.done()
        if abandoned:
            task.cancel()
            await _cancelled(task)
    return (False, None) if abandoned else (True, task.result())


async def _cancelled(task: asyncio.Future) -> None:
    """Wait for `task` to end its cancellation; a cancellation of the
    caller's own while waiting is not swallowed."""
    try:
        await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise
    except Exception:  # it failed on its way out: abandoned, nobody wants its result
        return
