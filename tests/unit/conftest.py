import pytest

from tests.unit.fakes import CONFIG_WITH_CADENCE, make_harness


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
