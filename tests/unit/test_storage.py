"""The repository contract, run against SQLite and a real PostgreSQL server."""

import sqlite3
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from storage.db import Storage

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
async def storage(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'sub' / 'bot.db'}"
    else:
        server = request.getfixturevalue("postgres")
        url = server.create_database(f"contract_{uuid.uuid4().hex[:12]}")
    store = Storage(url)
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


async def test_sqlite_waits_out_a_lock_held_by_another_process(tmp_path):
    """Another writer holds the database for a second; the command still lands."""
    path = tmp_path / "sub" / "bot.db"
    storage = Storage(f"sqlite+aiosqlite:///{path}")
    await storage.migrate()
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
    await storage.close()


async def test_a_scheduled_post_is_recorded_at_most_once(storage):
    async with storage.transaction() as repo:
        await repo.record_post("g", "2026-04-03T11:00", "agenda", NOW)
    with pytest.raises(IntegrityError):
        async with storage.transaction() as repo:
            await repo.record_post("g", "2026-04-03T11:00", "agenda", NOW)
    async with storage.transaction() as repo:
        assert await repo.was_posted("g", "2026-04-03T11:00", "agenda")
        assert not await repo.was_posted("g", "2026-04-03T11:00", "reminder:15m")


async def test_files_actions_and_sessions_round_trip(storage):
    data = bytes(range(256)) * 10
    async with storage.transaction() as repo:
        await repo.enqueue(
            txn_id="f",
            room_id="!r",
            body="a.ics",
            html="",
            reply_to=None,
            mentions=[],
            now=NOW,
            file=("a.ics", "text/calendar", data),
        )
        action = await repo.add_action(
            group_id="g",
            meeting_key="k",
            text="do it",
            owners=("@a:x", "Maria"),
            due=date(2026, 4, 10),
            created_by="@c:x",
            event_id="$a",
            now=NOW,
        )
        await repo.start_session(
            group_id="g",
            meeting_key="k",
            start_local="2026-04-03T11:00",
            end_local="2026-04-03T12:00",
            started_by="@c:x",
            now=NOW,
            closes_at=NOW + timedelta(hours=3),
        )
    async with storage.transaction() as repo:
        [message] = await repo.pending_messages()
        assert (message.file_name, message.file_data) == ("a.ics", data)
        stored = await repo.action("g", action.id)
        assert (stored.owners, stored.due, stored.status) == (
            ("@a:x", "Maria"),
            date(2026, 4, 10),
            "open",
        )
        await repo.set_action_status(action.id, "done", "@a:x", NOW)
        assert await repo.actions("g") == []
        session = await repo.open_session("g")
        assert session.closes_at == NOW + timedelta(hours=3)
        assert await repo.sessions_due_to_close(NOW) == []
        assert [s.id for _, s in await repo.sessions_due_to_close(NOW + timedelta(hours=4))] == [
            session.id
        ]


def test_the_head_revision_read_from_the_files_is_alembics():
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory

    from storage.db import HERE, head_revision

    config = AlembicConfig(str(HERE / "alembic.ini"))
    config.set_main_option("script_location", str(HERE / "migrations"))
    assert head_revision() == ScriptDirectory.from_config(config).get_current_head()


def test_a_current_database_starts_without_importing_alembic(tmp_path):
    """Alembic runs for a new database; a restart on a current one skips it."""
    import subprocess
    import sys

    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    code = (
        "import asyncio, sys\n"
        "from storage.db import Storage\n"
        f"s = Storage({url!r})\n"
        "asyncio.run(s.migrate())\n"
        "print('alembic' in sys.modules)\n"
    )
    run = [sys.executable, "-c", code]
    first = subprocess.run(run, capture_output=True, text=True, check=True)
    again = subprocess.run(run, capture_output=True, text=True, check=True)
    assert (first.stdout.strip(), again.stdout.strip()) == ("True", "False")


def test_the_long_running_bot_upgrades_in_a_child_process(tmp_path):
    """`migrate(in_child=True)` on a new database: the schema reaches head,
    and the process that asked never imported Alembic."""
    import subprocess
    import sys

    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    code = (
        "import asyncio, sys\n"
        "from storage.db import Storage, head_revision\n"
        f"s = Storage({url!r})\n"
        "asyncio.run(s.migrate(in_child=True))\n"
        "print('alembic' in sys.modules, asyncio.run(s._revision()) == head_revision())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False True"
