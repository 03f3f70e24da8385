"""`storage.sqlite_driver`: SQLite through SQLAlchemy in one trip to
aiosqlite's thread per statement, with the same results, errors and
transactions as aiosqlite's own cursors."""

from __future__ import annotations

from collections import Counter

import aiosqlite.core
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from storage.db import Storage
from storage.sqlite_driver import OneTripConnection


@pytest.fixture
def trips(monkeypatch) -> Counter[str]:
    """Every trip to an aiosqlite worker thread, by what ran there."""
    seen: Counter[str] = Counter()
    real = aiosqlite.core.Connection._execute

    async def counted(self, fn, *args, **kwargs):
        seen[getattr(fn, "__name__", "?")] += 1
        return await real(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.core.Connection, "_execute", counted)
    return seen


@pytest.fixture(params=["file", "memory"])
async def storage(request, tmp_path):
    url = (
        f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
        if request.param == "file"
        else "sqlite+aiosqlite://"
    )
    storage = Storage(url)
    async with storage.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE)"))
    yield storage
    await storage.close()


async def test_the_connection_is_the_one_trip_kind(storage):
    async with storage.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        assert isinstance(raw.driver_connection, OneTripConnection)


async def test_a_transaction_costs_one_trip_a_statement_and_one_to_commit(storage, trips):
    async with storage.transaction() as repo:
        await repo.session.execute(text("INSERT INTO t (name) VALUES ('a')"))
        await repo.session.execute(text("INSERT INTO t (name) VALUES ('b')"))
        names = (await repo.session.execute(text("SELECT name FROM t ORDER BY id"))).scalars()
        assert list(names) == ["a", "b"]
    assert trips == Counter({"_run": 3, "commit": 1})  # no cursor, fetch, close or reset trips


async def test_results_rowcounts_and_returning_are_as_sqlite_gives_them(storage):
    async with storage.transaction() as repo:
        session = repo.session
        inserted = await session.execute(text("INSERT INTO t (name) VALUES ('x') RETURNING id"))
        assert inserted.scalar_one() == 1
        many = await session.execute(
            text("INSERT INTO t (name) VALUES (:n)"), [{"n": "y"}, {"n": "z"}]
        )  # executemany
        assert many.rowcount == 2
        changed = await session.execute(text("UPDATE t SET name = name || '!' WHERE id > 1"))
        assert changed.rowcount == 2
        rows = (await session.execute(text("SELECT id, name FROM t ORDER BY id"))).all()
        assert [tuple(r) for r in rows] == [(1, "x"), (2, "y!"), (3, "z!")]
        assert (await session.execute(text("SELECT name FROM t WHERE id = 9"))).first() is None


async def test_a_failed_statement_raises_and_its_transaction_is_undone(storage):
    async with storage.transaction() as repo:
        await repo.session.execute(text("INSERT INTO t (name) VALUES ('kept')"))
    with pytest.raises(IntegrityError):
        async with storage.transaction() as repo:
            await repo.session.execute(text("INSERT INTO t (name) VALUES ('lost')"))
            await repo.session.execute(text("INSERT INTO t (name) VALUES ('kept')"))
    async with storage.transaction() as repo:  # the connection is still good
        names = (await repo.session.execute(text("SELECT name FROM t"))).scalars()
        assert list(names) == ["kept"]


async def test_a_new_database_has_small_pages_and_a_write_ahead_log(tmp_path):
    storage = Storage(f"sqlite+aiosqlite:///{tmp_path / 'new.db'}")
    await storage.migrate()
    async with storage.engine.connect() as conn:
        assert await conn.scalar(text("PRAGMA page_size")) == 1024
        assert await conn.scalar(text("PRAGMA journal_mode")) == "wal"
    await storage.close()


async def test_an_existing_database_keeps_its_page_size(tmp_path):
    import sqlite3

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as old:
        old.execute("CREATE TABLE kept (x)")  # made with SQLite's default, 4 KiB
    storage = Storage(f"sqlite+aiosqlite:///{path}")
    async with storage.engine.connect() as conn:
        assert await conn.scalar(text("PRAGMA page_size")) == 4096
    await storage.close()


async def test_a_streamed_result_reads_every_row_in_order(storage):
    async with storage.transaction() as repo:
        await repo.session.execute(
            text("INSERT INTO t (name) VALUES (:n)"), [{"n": f"row {i}"} for i in range(250)]
        )
    async with storage.engine.connect() as conn:
        streamed = await conn.stream(text("SELECT name FROM t ORDER BY id"))
        names = [row.name async for row in streamed]
        assert names == [f"row {i}" for i in range(250)]
        partial = await conn.stream(text("SELECT id FROM t ORDER BY id"))
        assert [r.id for r in await partial.fetchmany(3)] == [1, 2, 3]
        assert (await partial.fetchone()).id == 4
        await partial.close()
