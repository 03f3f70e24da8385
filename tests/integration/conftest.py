"""Fixtures for tests against a real Synapse: one server per session, fresh users per test.

Starting Synapse costs seconds, so it is shared by the whole session; isolation
comes from giving every test brand-new users (and therefore new rooms).

Everything here runs in pytest-asyncio's *session* event loop: the server
fixture, the member fixtures and the tests themselves.  aiohttp sessions and
nio clients are bound to the loop that created them, so mixing a session-loop
fixture with a function-loop test fails with "attached to a different loop".
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.ci import in_ci

from .bot_process import BotProcess
from .encrypted_member import EncryptedMember
from .encrypted_world import secret_room  # noqa: F401 (a fixture: the encrypted-room tests')
from .matrix_member import MatrixMember
from .synapse_server import SynapseServer, SynapseUnavailable

HERE = Path(__file__).resolve().parent

MakeMember = Callable[..., Awaitable[MatrixMember]]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark our tests ``synapse`` and run them in the session loop.

    This hook sees *all* collected items, not just this directory's, so it
    filters by path; unit tests keep their function-scoped loops.
    """
    session_loop = pytest.mark.asyncio(loop_scope="session")
    for item in items:
        if not item.path.resolve().is_relative_to(HERE):
            continue
        item.add_marker(pytest.mark.synapse)
        if pytest_asyncio.is_async_test(item):
            # append=False: must be the *closest* asyncio marker, ahead of the
            # bare one that asyncio_mode=auto already added.
            item.add_marker(session_loop, append=False)


@pytest.fixture(autouse=True)
def no_bot_left_running() -> Iterator[None]:
    """A test that fails before it stops its bot must not leave `allies-bot
    run` behind, syncing on and taking CPU from the tests after it."""
    yield
    for bot in list(BotProcess.running):
        bot.kill_now()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def synapse(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[SynapseServer]:
    """A running Synapse for the whole session.

    If Synapse cannot even be installed (offline laptop) the tests are skipped,
    except under CI where a skip would hide a broken pipeline.  A Synapse that
    is installed but fails to start is always an error.
    """
    server = SynapseServer()
    try:
        await server.start(tmp_path_factory.mktemp("synapse"))
    except SynapseUnavailable as exc:
        if in_ci():
            pytest.fail(f"Synapse unavailable under CI: {exc}", pytrace=False)
        pytest.skip(f"Synapse unavailable: {exc}")
    try:
        yield server
    finally:
        await server.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def make_member(
    synapse: SynapseServer, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[MakeMember]:
    """Factory: ``await make_member("alice")`` -> a new, logged-in, syncing user;
    ``encrypted=True`` gives one whose client encrypts like Element."""
    created: list[MatrixMember] = []

    async def make(
        prefix: str = "member", *, admin: bool = False, encrypted: bool = False
    ) -> MatrixMember:
        localpart = f"{prefix}-{secrets.token_hex(4)}"
        user = await synapse.register_user(localpart, secrets.token_urlsafe(16), admin=admin)
        if encrypted:
            store = tmp_path_factory.mktemp(f"{prefix}-crypto")
            member = EncryptedMember(synapse.base_url, user.user_id, user.password, store)
        else:
            member = MatrixMember(synapse.base_url, user.user_id, user.password)
        created.append(member)
        await member.login()
        return member

    yield make
    for member in created:
        await member.close()


@pytest_asyncio.fixture(loop_scope="session")
async def member(make_member: MakeMember) -> MatrixMember:
    """A single fresh member, for tests that need just one human."""
    return await make_member("member")
