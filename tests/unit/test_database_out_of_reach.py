"""A database out of reach is not a failed command: nothing is stored, nobody
is told "sorry", and the event is done when it comes again. A handler's own
failure is still answered with the apology, and its transaction rolled back."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

import storage.db
from bot.chat.transport import Incoming, IncomingKind
from bot.runtime.core import FAILURE_REPLY
from storage.errors import is_locked, is_unavailable, worth_retrying
from tests.unit.fakes import ROOM, make_harness

MEMBER = "@anna:example.org"


class StateError(Exception):
    """A driver error carrying a SQLSTATE, as asyncpg's do."""

    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def cut() -> DBAPIError:
    """What SQLAlchemy raises when PostgreSQL ends the session mid-statement."""
    return DBAPIError(
        "SELECT 1", {}, Exception("terminating connection"), connection_invalidated=True
    )


@pytest.mark.parametrize(
    ("exc", "unavailable", "locked"),
    [
        (cut(), True, False),
        (ConnectionRefusedError(111, "Connect call failed"), True, False),
        (StateError("57P03"), True, False),  # the database system is starting up
        (DBAPIError("SELECT 1", {}, StateError("08006")), True, False),
        (OperationalError("INSERT", {}, Exception("database is locked")), False, True),
        (OperationalError("SELECT", {}, Exception("no such table: updates")), False, False),
        (IntegrityError("INSERT", {}, StateError("23505")), False, False),
        (RuntimeError("the handler's bug"), False, False),
        (ConnectionResetError(104, "reset by a peer a handler talked to"), False, False),
        (BrokenPipeError(32, "a broken pipe of the handler's own"), False, False),
    ],
)
def test_which_failures_mean_try_again_later(exc, unavailable, locked):
    assert is_unavailable(exc) is unavailable
    assert is_locked(exc) is locked
    assert worth_retrying(exc) is (unavailable or locked)


def failing_dispatch(h, failures: int, exc_factory):
    """The router fails the first `failures` dispatches with `exc_factory()`."""
    real = h.core.router.dispatch
    calls = []

    async def dispatch(ctx, name):
        calls.append(name)
        if len(calls) <= failures:
            raise exc_factory()
        return await real(ctx, name)

    h.core.router.dispatch = dispatch
    return calls


def update(h, event_id: str, text: str) -> Incoming:
    return Incoming(IncomingKind.MESSAGE, event_id, ROOM, MEMBER, h.clock, f"!update {text}")


async def stored_updates(h) -> int:
    from sqlalchemy import text

    async with h.core.storage.engine.connect() as conn:
        return await conn.scalar(text("SELECT COUNT(*) FROM updates"))


async def test_a_moment_out_of_reach_is_retried_in_place(tmp_path, monkeypatch):
    monkeypatch.setattr(storage.db, "RETRY_PAUSE_SECONDS", 0)
    h = await make_harness(tmp_path)
    calls = failing_dispatch(h, 2, cut)
    replies = await h.deliver(update(h, "$a", "first"))
    assert len(calls) == 3
    assert len(replies) == 1 and FAILURE_REPLY not in replies[0].body
    assert await stored_updates(h) == 1
    await h.core.storage.close()


async def test_a_database_down_longer_is_left_for_the_transport_to_bring_again(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(storage.db, "RETRY_PAUSE_SECONDS", 0)
    h = await make_harness(tmp_path)
    failing_dispatch(h, 5, cut)  # every attempt in place fails
    with pytest.raises(DBAPIError):
        await h.deliver(update(h, "$b", "during the outage"))
    await h.core.outbox.flush()
    assert h.transport.sent == []  # no apology for a command that is still to be done
    assert await stored_updates(h) == 0
    replies = await h.deliver(update(h, "$b", "during the outage"))  # the batch again
    assert len(replies) == 1 and FAILURE_REPLY not in replies[0].body
    assert await stored_updates(h) == 1
    await h.core.storage.close()


async def test_a_handlers_own_failure_is_rolled_back_and_answered(tmp_path):
    h = await make_harness(tmp_path)
    failing_dispatch(h, 1, lambda: RuntimeError("the handler's bug"))
    replies = await h.deliver(update(h, "$c", "lost to a bug"))
    assert [r.body for r in replies] == [FAILURE_REPLY]
    assert await stored_updates(h) == 0
    again = await h.deliver(update(h, "$c", "lost to a bug"))  # answered once, not twice
    assert again == []
    await h.core.storage.close()
