"""Which database failures mean "try again later" rather than "this failed".

A command whose transaction could not reach the database (a PostgreSQL
restart cuts every session; a server that is down refuses the connection)
has done nothing: it must be done again once the database is back, never
answered with an apology, because an apology would be stored while the
command's own effect is not (the update is lost and the member told to ask
the chairs). A locked SQLite file is the same kind of failure, over sooner.
Every other failure is the command's own, and is answered.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

# SQLSTATE classes: 08 connection exception, 57P operator intervention
# (admin or crash shutdown, "the database system is starting up").
_UNAVAILABLE_STATES = ("08", "57P")


def is_locked(exc: BaseException) -> bool:
    """SQLite's "database is locked": another writer holds the file."""
    return isinstance(exc, OperationalError) and "locked" in str(exc).lower()


def is_unavailable(exc: BaseException) -> bool:
    """The database was out of reach; the work itself never ran to its end."""
    if isinstance(exc, PoolTimeout):  # every pooled connection busy or broken
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:  # the session was cut mid-statement
            return True
        exc = exc.orig
    # Refused: the server is down or restarting (asyncpg raises it bare when
    # the pool opens a connection). Not every ConnectionError: a reset or a
    # broken pipe from anything else a handler did would then be retried,
    # and brought again, for ever.
    if isinstance(exc, ConnectionRefusedError):
        return True
    state = str(getattr(exc, "sqlstate", "") or "")
    return state.startswith(_UNAVAILABLE_STATES)


def worth_retrying(exc: BaseException) -> bool:
    """Redo the transaction from scratch rather than report the failure."""
    return is_locked(exc) or is_unavailable(exc)
