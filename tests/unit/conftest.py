import pytest

from tests.unit.fakes import make_harness


@pytest.fixture
async def harness(tmp_path):
    h = await make_harness(tmp_path)
    yield h
    await h.core.storage.close()
