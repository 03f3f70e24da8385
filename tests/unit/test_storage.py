"""Repository contract on a real SQLite file (PostgreSQL joins in issue 6)."""

import asyncio
import sqlite3
import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect

from storage.db import Storage

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
async def storage(tmp_path):
    store = Storage(f"sqlite+aiosqlite:///{tmp_path / 'sub' / 'bot.db'}")
    await store.migrate()
    yield store
    await store.close()


async def test_migrations_create_schema_and_are_idempotent(storage):
    await storage.migrate()
    async with storage.engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert {"processed_events", "updates", "outbox", "bot_state", "alembic_version"} <= tables


async def test_updates_round_trip_with_utc_times(storage):
    async with storage.transaction() as repo:
        await repo.add_update(
            group_id="g", period="p", sender="@a:x", alliance="A", text="t1", event_id="$1", now=NOW
        )
    async with storage.transaction() as repo:
        [update] = await repo.updates_for("g", "p")
        assert update.created_at == NOW and update.created_at.tzinfo is UTC
        assert await repo.edit_update("$1", "t2", NOW)
        assert not await repo.edit_update("$missing", "t2", NOW)
    async with storage.transaction() as repo:
        assert (await repo.update_by_event("$1")).text == "t2"
        assert await repo.delete_update("$1")
        assert await repo.updates_for("g", "p") == []


async def test_transaction_rolls_back_everything_on_error(storage):
    with pytest.raises(RuntimeError):
        async with storage.transaction() as repo:
            await repo.mark_processed("$e", "!r", "command", NOW)
            await repo.add_update(
                group_id="g",
                period="p",
                sender="@a:x",
                alliance="A",
                text="t",
                event_id="$e",
                now=NOW,
            )
            raise RuntimeError("boom")
    async with storage.transaction() as repo:
        assert not await repo.is_processed("$e")
        assert await repo.update_by_event("$e") is None


async def test_outbox_pending_sent_and_failed(storage):
    async with storage.transaction() as repo:
        for n in range(3):
            await repo.enqueue(
                txn_id=f"t{n}",
                room_id="!r",
                body="b",
                html="<p>b</p>",
                reply_to="$c",
                mentions=["@a:x"],
                now=NOW,
            )
    async with storage.transaction() as repo:
        first, second, third = await repo.pending_messages()
        assert first.mentions == ("@a:x",) and first.txn_id == "t0"
        await repo.mark_sent(first.id, "$s", NOW)
        await repo.mark_attempt_failed(second.id, "403", give_up=True)
        await repo.mark_attempt_failed(third.id, "502", give_up=False)
    async with storage.transaction() as repo:
        [left] = await repo.pending_messages()
        assert (left.txn_id, left.attempts) == ("t2", 1)
        assert await repo.sent_message_count("$c") == 1


async def test_state_values(storage):
    async with storage.transaction() as repo:
        assert await repo.get_state("k") is None
        await repo.set_state("k", "v1")
    async with storage.transaction() as repo:
        await repo.set_state("k", "v2")
    async with storage.transaction() as repo:
        assert await repo.get_state("k") == "v2"


async def test_waits_out_a_lock_held_by_another_process(storage, tmp_path):
    """Another writer holds the database for a second; the command still lands."""
    path = tmp_path / "sub" / "bot.db"
    locked = threading.Event()

    def hold_lock() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        locked.set()
        time.sleep(1.0)
        conn.execute("COMMIT")
        conn.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    locked.wait()

    async def work(repo):
        await repo.set_state("written", "yes")

    await storage.run_in_transaction(work)
    holder.join()
    async with storage.transaction() as repo:
        assert await repo.get_state("written") == "yes"
    await asyncio.sleep(0)
