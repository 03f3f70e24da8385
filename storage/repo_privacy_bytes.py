"""A byte-wise "holds" test on a binary column, for narrowing the outbox's
files in the database (`repo_privacy`): LIKE cannot do it, as SQLite's LIKE
stops at the first zero byte of a blob and PostgreSQL's needs its own
escaping. SQLite's `instr` and PostgreSQL's `position` compare bytes.

On any other database every file is a candidate (the exact test in Python
then decides), so a new dialect is slower, never wrong.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, LargeBinary, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class BlobHolds(FunctionElement):
    """True where `column` holds `needle`'s bytes somewhere."""

    type = Boolean()
    inherit_cache = True
    name = "blob_holds"


def blob_holds(column: Any, needle: bytes) -> BlobHolds:
    return BlobHolds(column, literal(needle, LargeBinary))


@compiles(BlobHolds)
def _any_file(element: BlobHolds, compiler: Any, **kw: Any) -> str:
    column, _needle = element.clauses
    return f"({compiler.process(column, **kw)} IS NOT NULL)"


@compiles(BlobHolds, "sqlite")
def _sqlite(element: BlobHolds, compiler: Any, **kw: Any) -> str:
    column, needle = element.clauses
    return f"(instr({compiler.process(column, **kw)}, {compiler.process(needle, **kw)}) > 0)"


@compiles(BlobHolds, "postgresql")
def _postgresql(element: BlobHolds, compiler: Any, **kw: Any) -> str:
    column, needle = element.clauses
    return f"(position({compiler.process(needle, **kw)} IN {compiler.process(column, **kw)}) > 0)"
