"""Where the Matrix sync resumes: written at most every few seconds while
members send commands, at least every minute otherwise, and always when the
loop stops (a crash in between only fetches those seconds again, skipped)."""

from __future__ import annotations

import asyncio

import bot.chat.matrix.sync_token as sync_token
from bot.chat.matrix.sync_token import SYNC_TOKEN_KEY, Batches, SyncTokens
from storage.db import Storage


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def stored(storage: Storage) -> str | None:
    async with storage.transaction() as repo:
        return await repo.get_state(SYNC_TOKEN_KEY)


async def test_the_token_is_written_at_most_every_few_seconds(tmp_path, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(sync_token.time, "monotonic", clock)
    storage = Storage(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    await storage.migrate()
    tokens = SyncTokens(storage)
    await tokens.save("t1", delivered=1)
    assert await stored(storage) == "t1"  # the first one at once
    clock.now += 1
    await tokens.save("t2", delivered=1)
    assert await stored(storage) == "t1"  # a command a second later: not yet
    clock.now += sync_token.TOKEN_SAVE_BUSY_S
    await tokens.save("t3", delivered=1)
    assert await stored(storage) == "t3"
    clock.now += 30
    await tokens.save("t4", delivered=0)  # only the bot's own replies
    assert await stored(storage) == "t3"
    clock.now += sync_token.TOKEN_SAVE_EVERY_S
    await tokens.save("t5", delivered=0)
    assert await stored(storage) == "t5"
    clock.now += 1
    batches = Batches(tokens, "t5")

    async def handled() -> int:
        return 1

    batches.add("t6", handled())
    await asyncio.sleep(0)
    await batches.drain()  # the loop stops: written whatever the time
    assert await stored(storage) == "t6" and batches.handled == "t6"
    await storage.close()


async def test_after_a_failed_batch_nothing_later_is_stored_and_it_comes_again(tmp_path):
    """A batch that failed (the database out of reach) and a later one that
    went through (another room, or the database back): the loop must fetch
    again from before the failed one, so neither token may be stored."""
    storage = Storage(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    await storage.migrate()
    tokens = SyncTokens(storage)
    await tokens.save("t0", delivered=1)
    batches = Batches(tokens, "t0")

    async def fails() -> int:
        raise RuntimeError("database out of reach")

    async def succeeds() -> int:
        return 1

    batches.add("t1", fails())
    batches.add("t2", succeeds())
    await asyncio.sleep(0)
    assert await batches.settle(wait=True) is False
    assert batches.handled == "t0"
    assert await stored(storage) == "t0"
    await storage.close()


async def test_a_stop_stores_where_the_loop_got_to_even_when_nothing_is_in_flight(
    tmp_path, monkeypatch
):
    clock = Clock()
    monkeypatch.setattr(sync_token.time, "monotonic", clock)
    storage = Storage(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    await storage.migrate()
    tokens = SyncTokens(storage)
    batches = Batches(tokens, None)

    async def handled() -> int:
        return 1

    for token in ("t1", "t2"):
        batches.add(token, handled())
        assert await batches.settle(wait=True)
        clock.now += 1
    assert await stored(storage) == "t1"  # t2's save was put off (5 s rule)
    await batches.drain()
    assert await stored(storage) == "t2"
    await storage.close()
