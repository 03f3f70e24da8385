import asyncio

import pytest

from tests.unit.fakes import (
    CONFIG_WITH_CADENCE,
    make_harness,
    migrate_sqlite_template,
    use_sqlite_template,
)


@pytest.fixture(scope="session", autouse=True)
def sqlite_template(tmp_path_factory):
    """One SQLite database migrated for real per session; every harness
    (`make_harness`, fixture or not) starts from a copy of it. The migration
    tests (test_migrations.py, test_storage.py) run Alembic themselves."""
    path = asyncio.run(migrate_sqlite_template(tmp_path_factory.mktemp("template") / "bot.db"))
    use_sqlite_template(path)
    yield path
    use_sqlite_template(None)


@pytest.fixture
async def harness(tmp_path):
    h = await make_harness(tmp_path)
    yield h
    await h.core.storage.close()


@pytest.fixture
async def calendar_harness(tmp_path):
    """The ALLIES calendar; the clock starts Monday 2 March 2026, 09:00 UTC."""
    h = await make_harness(tmp_path, CONFIG_WITH_CADENCE)
    yield h
    await h.core.storage.close()
