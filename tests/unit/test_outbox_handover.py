"""The sender's hot path: a command's reply, handed over after its commit, is
sent without reading the queue back and marked sent in one short write; a
burst is marked in a few batched writes, not one per message; what a queue
read already found is never sent twice when its hand-over arrives late; and
a rolled-back command hands nothing over."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter

import pytest
from sqlalchemy import event, text

from bot.runtime import outbox
from bot.runtime.outbox import FAULT_EXIT_BEFORE_MARK_ENV, OutboxSender
from bot.runtime.router import Reply
from tests.unit.fakes import ROOM, make_harness

MEMBER = "@anna:example.org"


def statements(h) -> Counter[str]:
    """Counts what reaches the database from now on: outbox reads and marks,
    and writes of any kind (an executemany counts once)."""
    seen: Counter[str] = Counter()

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        text = statement.lstrip().upper()
        if text.startswith("SELECT") and "FROM OUTBOX" in text:
            seen["outbox read"] += 1
        if text.startswith("UPDATE OUTBOX "):
            seen["outbox mark"] += 1
        if text.startswith(("INSERT", "UPDATE", "DELETE")):
            seen["write"] += 1

    event.listen(h.core.storage.engine.sync_engine, "before_cursor_execute", count)
    return seen


async def test_a_reply_goes_without_a_read_back_and_is_marked_in_one_write(tmp_path):
    h = await make_harness(tmp_path)
    await h.core.outbox.flush()  # the start-up read of the queue
    seen = statements(h)
    [reply] = await h.say(MEMBER, "!help")
    assert reply.room_id == ROOM and "!update" in reply.body
    assert seen["outbox read"] == 0 and seen["outbox mark"] == 1
    async with h.core.storage.transaction() as repo:
        assert await repo.pending_count() == 0
    await h.core.storage.close()


async def test_a_burst_is_sent_in_order_and_marked_in_batches(tmp_path):
    h = await make_harness(tmp_path)
    await h.core.outbox.flush()
    seen = statements(h)
    for n in range(30):  # thirty commands committed before the sender runs
        await h.core.handle(_message(h, n))
    assert seen["outbox read"] == 0
    await h.core.outbox.flush()
    bodies = [m.body for _, m in h.transport.sent]
    assert len(bodies) == 30 and all(m.room_id == ROOM for _, m in h.transport.sent)
    assert seen["outbox mark"] <= 2, seen  # the flush's end, and at most one a second
    async with h.core.storage.transaction() as repo:
        assert await repo.pending_count() == 0
    await h.core.storage.close()


async def _sent(h, count: int) -> None:
    for _ in range(200):
        if len(h.transport.sent) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{len(h.transport.sent)} of {count} sent")


def commits(h) -> list[int]:
    """Counts the commits from now on (one item each)."""
    seen: list[int] = []
    event.listen(h.core.storage.engine.sync_engine, "commit", lambda _conn: seen.append(1))
    return seen


async def _unwritten(h) -> int:
    """Sent and not yet marked in the database, read without a transaction
    of the storage's (one of those writes the marks first)."""
    async with h.core.storage.engine.connect() as conn:
        return await conn.scalar(text("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL"))


async def test_the_next_transaction_carries_the_sent_marks_and_reads_them(tmp_path, monkeypatch):
    """A few commands a second: each command's commit carries the previous
    reply's mark (no commit of its own); the last one is written by the
    sender once it is due; a stop writes what is left at once."""
    monkeypatch.setattr(outbox, "MARK_EVERY_SECONDS", 0.3)
    h = await make_harness(tmp_path)
    runner = asyncio.create_task(h.core.outbox.run(h.transport))
    await asyncio.sleep(0.05)  # the start-up read of the queue
    seen, committed = statements(h), commits(h)
    for n in range(4):
        await h.core.handle(_message(h, n))
        await _sent(h, n + 1)
    assert len(committed) == 4 and seen["outbox mark"] == 3  # four commands, no mark of its own
    assert await _unwritten(h) == 1
    async with h.core.storage.transaction() as repo:  # any transaction reads every send
        assert await repo.pending_count() == 0
    assert await _unwritten(h) == 0
    await h.core.handle(_message(h, 4))
    await _sent(h, 5)
    await asyncio.sleep(0.45)  # no transaction came: the sender writes it when due
    assert await _unwritten(h) == 0 and len(committed) == 7
    await h.core.handle(_message(h, 5))
    await _sent(h, 6)
    assert await _unwritten(h) == 1
    runner.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await runner
    assert await _unwritten(h) == 0  # stopping marks it
    assert len(h.transport.sent) == 6  # none sent twice
    await h.core.storage.close()


async def test_a_message_the_queue_read_found_is_not_sent_again_when_handed_over(tmp_path):
    h = await make_harness(tmp_path)

    async def queue_one(repo):
        await h.core.queue(repo, ROOM, "late", Reply("handed over late"))
        return list(repo.committed)

    hooks = []
    async with h.core.storage.transaction() as repo:
        hooks = await queue_one(repo)
        repo.committed.clear()  # hold the hand-over back until the queue was read
    h.core.outbox.wake()
    await h.core.outbox.flush()  # the read finds and sends it
    for hook in hooks:
        hook()  # the hand-over arrives after the read
    await h.core.outbox.flush()
    assert [m.body for _, m in h.transport.sent] == ["handed over late"]
    await h.core.storage.close()


async def test_a_rolled_back_command_hands_nothing_over(tmp_path):
    h = await make_harness(tmp_path)
    await h.core.outbox.flush()

    async def fails(repo):
        await h.core.queue(repo, ROOM, "doomed", Reply("never sent"))
        raise RuntimeError("the handler's bug")

    with pytest.raises(RuntimeError):
        await h.core.storage.run_in_transaction(fails)
    await h.core.outbox.flush()
    assert h.transport.sent == []
    await h.core.storage.close()


def test_the_exit_before_mark_seam_is_off_unless_set(tmp_path, monkeypatch):
    monkeypatch.delenv(FAULT_EXIT_BEFORE_MARK_ENV, raising=False)
    assert OutboxSender(None, lambda: None)._exit_after_sends == 0  # type: ignore[arg-type]
    monkeypatch.setenv(FAULT_EXIT_BEFORE_MARK_ENV, "7")
    assert OutboxSender(None, lambda: None)._exit_after_sends == 7  # type: ignore[arg-type]


def _message(h, n: int):
    from bot.chat.transport import Incoming, IncomingKind

    return Incoming(IncomingKind.MESSAGE, f"$burst{n}", ROOM, MEMBER, h.clock, f"!update n{n}")
