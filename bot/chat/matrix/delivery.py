"""Which timeline events of a sync batch the Matrix adapter hands to the core.

Pure rules on event JSON (`source` dicts), kept apart from the sync loop so
they are tested without nio or a homeserver (nio is not imported here):

- only rooms the bot serves count; everything else in a batch is ignored;
- in a room the bot joined during this run, only what came after that join
  (an older join still in the timeline, e.g. after a lost database, opens
  nothing: it must be no older than this start, give or take clock skew);
- on the very first start, a room it was already in has nothing to answer;
- later, a limited timeline is backfilled back to the previous token;
- the bot's own events are skipped and not counted; an encrypted event nio
  could not decrypt becomes an "I could not read it" notice; the rest is read
  by `events.to_incoming` (edits, redactions, what is ignored);
- events decrypted late (their key arrived later) are delivered for served
  rooms, except on the first start.

Duplicates are not filtered here: the core skips what it has already
handled (`processed_events`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, TypeVar

from bot.chat.matrix.events import ENCRYPTED, is_own_join

CLOCK_SKEW_MS = 60_000  # how far the homeserver's clock may be behind the bot's
T = TypeVar("T")


def served(join: Mapping[str, T], rooms: Mapping[str, object]) -> list[tuple[str, T]]:
    """The joined rooms of a batch that the bot serves, in batch order."""
    return [(room_id, info) for room_id, info in join.items() if room_id in rooms]


def senders(sources: Iterable[dict[str, Any]]) -> set[str]:
    """Who sent these events (whose devices are judged before reading them)."""
    return {source.get("sender", "") for source in sources}


def joined_this_run(source: dict[str, Any], own_user: str, started_ms: int) -> bool:
    """The bot's own join, made by this run (an older join still in the
    timeline after a lost database must not open what came before it)."""
    if not is_own_join(source, own_user):
        return False
    return source.get("origin_server_ts", 0) >= started_ms - CLOCK_SKEW_MS


@dataclass(frozen=True)
class Window:
    """Which of a room's timeline events in one batch are delivered: those
    from `start` on, after the gap before them is fetched if `backfill`."""

    start: int = 0
    backfill: bool = False


def window(
    sources: list[dict[str, Any]],
    own_user: str,
    started_ms: int,
    *,
    first_start: bool,
    limited: bool,
    since: str | None,
) -> Window | None:
    """The part of one served room's timeline to deliver, or None for none.
    Nothing from before the bot's own join is answered; on the first start a
    room it was already in (no join in this batch) has nothing to answer."""
    joins = [i for i, source in enumerate(sources) if joined_this_run(source, own_user, started_ms)]
    if joins:
        return Window(start=joins[-1] + 1)
    if first_start:
        return None
    return Window(backfill=bool(limited and since))


class Kind(Enum):
    OWN = "own"  # the bot's own event: not handed over, not counted
    UNDECRYPTABLE = "undecryptable"  # a notice instead of the message
    EVENT = "event"  # read by `events.to_incoming` (unless its device is refused)


def kind(source: dict[str, Any], own_user: str, *, undecrypted: bool) -> Kind:
    """How one timeline event is handled; `undecrypted` when nio handed it
    over still encrypted (a `MegolmEvent`)."""
    if source.get("sender") == own_user:
        return Kind.OWN
    if undecrypted or source.get("type") == ENCRYPTED:
        return Kind.UNDECRYPTABLE
    return Kind.EVENT


def deliver_late(room_id: str, rooms: Mapping[str, object], *, first_start: bool) -> bool:
    """Whether an event decrypted once its key arrived is delivered."""
    return room_id in rooms and not first_start


MAX_LANES = 8  # rooms handled at once: one group's slow command never holds up another's


class RoomLanes:
    """Each room's events in the order they came, rooms side by side, later
    sync batches overlapping earlier ones. A room's event waits for the one
    before it; if that one failed, so does it (the batch is fetched and
    handled again from the last stored token, in order)."""

    def __init__(self, limit: int = MAX_LANES) -> None:
        self._gate = asyncio.Semaphore(limit)
        self._tails: dict[str, asyncio.Task] = {}

    def submit(self, room_id: str, work: Callable[[], Awaitable[int]]) -> asyncio.Task:
        previous = self._tails.get(room_id)

        async def run() -> int:
            if previous is not None:
                await previous  # raises if it failed: order is kept, nothing skipped
            async with self._gate:
                return await work()

        task = asyncio.ensure_future(run())
        self._tails[room_id] = task
        return task

    def reset(self) -> None:
        """Forget finished lanes (after a failure, before handling again)."""
        self._tails.clear()


async def settled(tasks: Iterable[asyncio.Task]) -> int:
    """How many events the tasks handed over, once every one has finished;
    the first failure is raised only then, so nothing is left running."""
    results = await asyncio.gather(*tasks, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return sum(results)  # type: ignore[arg-type]
