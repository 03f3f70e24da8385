"""The outbox when something goes wrong that is not a `SendError`: a sender
that raises for one message costs that message an attempt (its traceback
logged once) and holds back nothing else; a database error ends `run()` for
the supervisor to restart it, and the message is resent under its same
transaction id; the fault-injection seam is off unless asked for; the age
of the oldest pending message is known."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest

from bot.chat.transport import Outgoing
from bot.runtime import outbox
from bot.runtime.outbox import (
    FAULT_SEND_ERRORS_ENV,
    MAX_ATTEMPTS,
    OutboxSender,
    injected_send_errors,
)
from bot.runtime.supervisor import Backoff, Supervisor
from tests.unit.fakes import ROOM, queued_harness

OTHER_ROOM = "!other:example.org"


class Flaky:
    """Raises an unexpected error for messages in `bad_rooms`."""

    def __init__(self, bad_rooms: set[str]) -> None:
        self.bad_rooms = bad_rooms
        self.sent: list[tuple[str, str]] = []

    async def send(self, message: Outgoing, txn_id: str) -> str:
        if message.room_id in self.bad_rooms:
            raise ConnectionResetError("reset by peer")
        self.sent.append((message.body, txn_id))
        return f"id{len(self.sent)}"


async def test_a_raising_sender_costs_one_attempt_and_blocks_only_its_room(tmp_path, caplog):
    h = await queued_harness(tmp_path, [OTHER_ROOM, ROOM, OTHER_ROOM, ROOM])
    transport = Flaky({OTHER_ROOM})
    h.core.outbox.attach(transport)
    with caplog.at_level(logging.WARNING, logger="bot.runtime.outbox"):
        for _ in range(MAX_ATTEMPTS):
            await h.core.outbox.flush()
    assert [body for body, _ in transport.sent] == ["m1", "m3"]
    assert sum(1 for r in caplog.records if r.exc_info) == 1  # one traceback, not five
    assert any(
        "t0 failed" in r.getMessage() and "giving up" in r.getMessage() for r in caplog.records
    )
    async with h.core.storage.transaction() as repo:
        assert await repo.pending_count() == 1  # m0 given up; m2 still waits its turn
    transport.bad_rooms.clear()
    await h.core.outbox.flush()
    assert [body for body, _ in transport.sent] == ["m1", "m3", "m2"]
    await h.core.storage.close()


async def test_a_failed_message_is_retried_soon_not_at_the_idle_poll(tmp_path):
    h = await queued_harness(tmp_path, [ROOM])
    transport = Flaky({ROOM})
    run = asyncio.create_task(h.core.outbox.run(transport))
    await asyncio.sleep(0.2)
    transport.bad_rooms.clear()  # the next try is a second after the failure
    for _ in range(40):
        if transport.sent:
            break
        await asyncio.sleep(0.1)
    run.cancel()
    assert [body for body, _ in transport.sent] == ["m0"]
    await h.core.storage.close()


class DatabaseGoneOnce:
    """Stands in for the storage: its next transaction fails, then it is back."""

    def __init__(self, outbox: OutboxSender) -> None:
        self.outbox, self.real = outbox, outbox.storage
        self.sent_marks = self.real.sent_marks

    def transaction(self):
        self.outbox.storage = self.real
        raise ConnectionRefusedError("database restarting")


class SendsThenLosesTheDatabase:
    """The first send goes out, then the database is gone before it is marked sent."""

    def __init__(self, outbox: OutboxSender) -> None:
        self.outbox = outbox
        self.sent: list[str] = []

    async def send(self, message: Outgoing, txn_id: str) -> str:
        self.sent.append(txn_id)
        if len(self.sent) == 1:
            self.outbox.storage = DatabaseGoneOnce(self.outbox)
        return f"id{len(self.sent)}"


async def test_a_database_error_restarts_the_sender_which_marks_what_it_sent_not_resends(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(outbox, "MARK_EVERY_SECONDS", 0.0)  # the mark follows the send at once
    h = await queued_harness(tmp_path, [ROOM, ROOM])
    transport = SendsThenLosesTheDatabase(h.core.outbox)
    tasks = Supervisor(Backoff(first=0.01, cap=0.01))
    tasks.start("outbox", lambda: h.core.outbox.run(transport))
    for _ in range(100):
        async with h.core.storage.transaction() as repo:
            if await repo.pending_count() == 0:
                break
        await asyncio.sleep(0.02)
    await tasks.stop()
    # the mark failed with the database; the restarted sender remembered what
    # it had sent and marked it, so t0 went once (a crashed process resends it
    # under the same txn id instead: the fault suite's exit-before-mark test)
    assert transport.sent == ["t0", "t1"]
    assert tasks.health["outbox"].restarts == 1
    async with h.core.storage.transaction() as repo:
        assert await repo.pending_count() == 0
    await h.core.storage.close()


async def test_the_oldest_pending_age(tmp_path):
    h = await queued_harness(tmp_path, [ROOM, ROOM])
    h.clock += timedelta(seconds=42)
    assert await h.core.outbox.oldest_pending_age() == pytest.approx(42.0)
    h.core.outbox.attach(Flaky(set()))
    await h.core.outbox.flush()
    assert await h.core.outbox.oldest_pending_age() is None
    await h.core.storage.close()


def test_the_fault_seam_is_off_unless_set(monkeypatch):
    monkeypatch.delenv(FAULT_SEND_ERRORS_ENV, raising=False)
    assert injected_send_errors() == 0
    monkeypatch.setenv(FAULT_SEND_ERRORS_ENV, "nonsense")
    assert injected_send_errors() == 0
    monkeypatch.setenv(FAULT_SEND_ERRORS_ENV, "2")
    assert injected_send_errors() == 2


async def test_the_fault_seam_raises_the_first_n_sends(tmp_path, monkeypatch):
    monkeypatch.setenv(FAULT_SEND_ERRORS_ENV, "2")
    h = await queued_harness(tmp_path, [ROOM])
    outbox = OutboxSender(h.core.storage, lambda: h.clock)
    transport = Flaky(set())
    outbox.attach(transport)
    for _ in range(3):
        await outbox.flush()
    assert [body for body, _ in transport.sent] == ["m0"]
    async with h.core.storage.transaction() as repo:
        assert await repo.pending_count() == 0
    await h.core.storage.close()
