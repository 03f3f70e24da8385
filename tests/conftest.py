"""Fixtures shared by all test folders: a real PostgreSQL server when asked for."""

from __future__ import annotations

import asyncio
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.ci import in_ci
from tests.pg_server import PostgresServer, PostgresUnavailable

TEMPLATE_DB = "allies_template"


def _migrate(url: str) -> None:
    """Alembic to head, on a thread of its own: the fixture may be set up
    from inside a running event loop (an async fixture asking for it)."""
    from storage.db import Storage

    async def run() -> None:
        storage = Storage(url)
        try:
            await storage.migrate()
        finally:
            await storage.close()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL server for the session; skipped only outside CI when the
    server is not installed (CI installs it in .ci/run and must not skip).
    `create_database` gives a copy of a database migrated once per session
    (`empty=True`: a blank one)."""
    try:
        workdir = Path(tempfile.mkdtemp(prefix="allies-pg-"))
        os.chmod(workdir, 0o755)
        server = PostgresServer(workdir)
    except PostgresUnavailable as exc:
        if in_ci():
            pytest.fail(f"PostgreSQL unavailable under CI: {exc}", pytrace=False)
        pytest.skip(str(exc))
    server.start()
    # Migrated once; every database the tests create is a copy of it.
    server.create_template(TEMPLATE_DB, _migrate)
    yield server
    server.stop()
