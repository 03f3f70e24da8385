"""Room lanes: one room's events in order, rooms side by side, and a failed
event stopping the ones after it in its room (they are handled again, in
order, when the batch is fetched again)."""

from __future__ import annotations

import asyncio

import pytest

from bot.chat.matrix.delivery import RoomLanes, settled


async def test_a_slow_room_holds_up_only_itself():
    lanes, seen = RoomLanes(), []
    release = asyncio.Event()

    async def event(room: str, n: int, slow: bool = False) -> int:
        if slow:
            await release.wait()
        seen.append((room, n))
        return 1

    first = [
        lanes.submit("!a", lambda: event("!a", 1, slow=True)),
        lanes.submit("!b", lambda: event("!b", 1)),
    ]
    later = [lanes.submit("!a", lambda: event("!a", 2)), lanes.submit("!b", lambda: event("!b", 2))]
    await asyncio.wait_for(later[1], 1)
    assert seen == [("!b", 1), ("!b", 2)]  # room b went on while room a's first event waited
    release.set()
    assert await settled(first + later) == 4
    assert [n for room, n in seen if room == "!a"] == [1, 2]


async def test_a_failed_event_fails_the_ones_after_it_in_its_room():
    lanes, seen = RoomLanes(), []

    async def boom() -> int:
        raise ConnectionResetError("database gone")

    async def ok(n: int) -> int:
        seen.append(n)
        return 1

    tasks = [
        lanes.submit("!a", boom),
        lanes.submit("!a", lambda: ok(2)),
        lanes.submit("!b", lambda: ok(3)),
    ]
    with pytest.raises(ConnectionResetError):
        await settled(tasks)
    assert seen == [3] and all(t.done() for t in tasks)
    lanes.reset()
    assert await settled([lanes.submit("!a", lambda: ok(4))]) == 1
