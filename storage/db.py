"""Engine, migrations and the one-transaction-per-command unit of work."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

from sqlalchemy import event, select, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from storage.errors import is_locked, worth_retrying
from storage.models import FeedToken
from storage.repo import Repo

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
SQLITE_BUSY_TIMEOUT_MS = 30_000
MIGRATE_URL_ENV = "ALLIES_BOT_MIGRATE_URL"
RETRY_PAUSE_SECONDS = 0.2  # then 0.4, 0.6, 0.8: two seconds in all
_REVISION = re.compile(r'^revision = "([^"]+)"', re.MULTILINE)


def head_revision() -> str:
    """The newest migration's id, read from the files without Alembic (the
    ids are numbered, `0005`, and each file says `revision = "…"`); a unit
    test checks it against Alembic's own idea of the head."""
    newest = max((HERE / "migrations" / "versions").glob("[0-9]*.py"))
    found = _REVISION.search(newest.read_text(encoding="utf-8"))
    assert found is not None, f"{newest.name} names no revision"
    return found[1]


def _configure_sqlite(dbapi_connection, _record) -> None:
    """WAL lets readers and the writer coexist; busy_timeout waits out a
    lock held by another process instead of failing the command at once.

    `synchronous=NORMAL` under WAL: a commit is not fsynced, the WAL is at
    checkpoints. A crash of the bot (SIGKILL included) loses nothing that
    was committed, because the WAL is in the operating system's hands; only
    a power cut or kernel crash can lose the last commits, and the database
    stays consistent. What such a loss re-does is harmless: the commands are
    fetched again from the homeserver (the sync token is older too), and
    their replies carry the same transaction ids, so the homeserver does not
    post them twice. See docs/operating.md, "Reliability and performance".

    A new database gets 1 KiB pages (an existing one keeps its own: the
    pragma only acts before the first table): a commit writes every page it
    touched to the WAL, and a command touches about nine (the update, its
    processed marker and its reply, each a row plus index entries), so the
    disk written per command fell from about 59 to 22 kB; reading the
    archive's pages took the same time with either size. A checkpoint every
    4000 pages keeps the WAL at about 4 MB, as with 4 KiB pages (SQLite's
    1000 would copy the same busy pages back to the file four times as
    often: 23 kB a command instead of 20)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA page_size=1024")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA wal_autocheckpoint=4000")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _upgrade(connection: Connection) -> None:
    from alembic import command
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig(str(HERE / "alembic.ini"))
    cfg.set_main_option("script_location", str(HERE / "migrations"))
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, "head")


class Storage:
    """Owns the engine; hands out repositories bound to one transaction."""

    def __init__(self, url: str) -> None:
        parsed = self.url = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # A server restarted under a pooled connection must not cost a command:
        # each checkout is checked first (a cut one is replaced, not used).
        pre_ping = parsed.get_backend_name() != "sqlite"
        options: dict = {"pool_pre_ping": pre_ping}
        if parsed.drivername == "sqlite+aiosqlite":  # one thread trip per statement
            options["async_creator"] = self._sqlite_connection
        self.engine: AsyncEngine = create_async_engine(url, **options)
        if parsed.get_backend_name() == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _configure_sqlite)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # Messages the outbox has sent whose mark (remote id, when) is not
        # written yet: the next transaction writes them (`transaction`).
        self.sent_marks: dict[int, tuple[str, datetime]] = {}
        self.backend = parsed.get_backend_name()

    def _sqlite_connection(self):
        """A new SQLite connection (`storage.sqlite_driver`), opened with
        what SQLAlchemy makes of the URL, as its own aiosqlite path would."""
        from storage import sqlite_driver

        args, kwargs = self.engine.sync_engine.dialect.create_connect_args(self.url)
        return sqlite_driver.connect(*args, **kwargs)

    async def migrate(self, *, in_child: bool = False) -> None:
        """Bring the schema to the newest Alembic revision (idempotent).

        Alembic (with Mako) is imported only when there is something to
        upgrade: it would stay in memory, about 12 MB, for a check that on
        almost every start finds the schema already current. With `in_child`
        (the long-running bot) even an upgrade runs in a child process, so
        the bot never holds Alembic; an in-memory database cannot be shared
        with a child and is upgraded here."""
        if await self._revision() != head_revision():
            if in_child and self.url.database not in (None, "", ":memory:"):
                await self._migrate_in_child()
            else:
                async with self.engine.begin() as conn:
                    await conn.run_sync(_upgrade)
        log.info("storage ready (%s, schema at head)", self.backend)

    async def _migrate_in_child(self) -> None:
        """`python -m storage.db` with the URL in the environment (it may hold
        a password, which must not show in the process list)."""
        env = {**os.environ, MIGRATE_URL_ENV: self.url.render_as_string(hide_password=False)}
        child = await asyncio.create_subprocess_exec(sys.executable, "-m", "storage.db", env=env)
        if await child.wait() != 0:
            raise RuntimeError(f"upgrading the database failed (exit {child.returncode})")

    async def _revision(self) -> str | None:
        try:
            async with self.engine.connect() as conn:
                return await conn.scalar(text("SELECT version_num FROM alembic_version"))
        except DBAPIError:  # no such table: a new database
            return None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Repo]:
        """Everything done through the yielded repo commits together or not at
        all. It first writes the sent marks not written yet (`sent_marks`),
        so what it reads knows every send, and they commit with it."""
        async with self._sessions() as session:
            async with session.begin():
                repo = Repo(session)
                marks = sorted(self.sent_marks.items())  # by id: rows locked in one order
                if marks:
                    await repo.mark_all_sent([(i, remote, at) for i, (remote, at) in marks])
                yield repo
            for message_id, _sent in marks:  # reached only when the commit succeeded
                self.sent_marks.pop(message_id, None)
            for hook in repo.committed:
                hook()

    async def run_in_transaction(self, work, *, attempts: int = 5):
        """Run `work(repo)` in a transaction, retrying when the database is
        locked by someone else or out of reach a moment (a restart: about two
        seconds of attempts); the work is redone from scratch each time. What
        still fails is raised: `storage.errors.worth_retrying` tells the
        caller whether to try again later."""
        for attempt in range(1, attempts + 1):
            try:
                async with self.transaction() as repo:
                    return await work(repo)
            except Exception as exc:
                if not worth_retrying(exc) or attempt == attempts:
                    raise
                why = "locked" if is_locked(exc) else "out of reach"
                log.warning("database %s, retrying (attempt %d/%d)", why, attempt, attempts)
                await asyncio.sleep(RETRY_PAUSE_SECONDS * attempt)
        raise AssertionError("unreachable")

    async def ping(self) -> None:
        """Raises when the database does not answer (for `/healthz`)."""
        async with self.engine.connect() as conn:  # reads the file, not just the pool
            await conn.execute(text("SELECT version_num FROM alembic_version"))

    async def group_of_feed_token(self, token: str) -> str | None:
        """The group a calendar feed token opens, on a bare connection: calendar
        applications poll, and this one read is all an unchanged feed costs
        (no ORM session, no transaction). Always asked, never cached, so a
        token rotated by `allies-bot feed rotate` stops working at once."""
        async with self.engine.connect() as conn:
            return await conn.scalar(select(FeedToken.group_id).where(FeedToken.token == token))

    async def close(self) -> None:
        await self.engine.dispose()


async def _migrate(url: str) -> None:
    storage = Storage(url)
    try:
        await storage.migrate()
    finally:
        await storage.close()


if __name__ == "__main__":  # the bot's child process for an upgrade (Storage.migrate)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    asyncio.run(_migrate(os.environ[MIGRATE_URL_ENV]))
