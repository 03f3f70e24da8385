"""Fixtures shared by all test folders: a real PostgreSQL server when asked for."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from tests.ci import in_ci
from tests.pg_server import PostgresServer, PostgresUnavailable


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL server for the session; skipped only outside CI when the
    server is not installed (CI installs it in .ci/run and must not skip)."""
    try:
        workdir = Path(tempfile.mkdtemp(prefix="allies-pg-"))
        os.chmod(workdir, 0o755)
        server = PostgresServer(workdir)
    except PostgresUnavailable as exc:
        if in_ci():
            pytest.fail(f"PostgreSQL unavailable under CI: {exc}", pytrace=False)
        pytest.skip(str(exc))
    server.start()
    yield server
    server.stop()
