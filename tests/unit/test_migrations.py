"""Upgrades keep what is stored: a database filled at each earlier schema
revision, every table given rows of every column, is upgraded to head, and
every row is still there with the values it had."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    create_engine,
    insert,
    select,
)

from storage.db import HERE


def alembic_config(url: str) -> AlembicConfig:
    config = AlembicConfig(str(HERE / "alembic.ini"))
    config.set_main_option("script_location", str(HERE / "migrations"))
    config.set_main_option("sqlalchemy.url", url)
    return config


def revisions() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def value_for(column, row: int):
    kind = type(column.type)
    if isinstance(column.type, Boolean):
        return row % 2 == 0
    if isinstance(column.type, Integer) or kind.__name__ in ("Integer", "BigInteger"):
        return row + 1
    if isinstance(column.type, DateTime):
        return datetime(2025, 5, 9, 9, row)
    if isinstance(column.type, Date):
        return date(2025, 6, 13 + row)
    if isinstance(column.type, LargeBinary):
        return f"file {row}".encode()
    if column.name in ("owners", "txn_ids", "mentions"):
        return '["@anna:example.org"]'  # JSON lists in text columns
    return f"{column.table.name}.{column.name} {row}"


def fill(engine) -> dict[str, list[dict]]:
    """Two rows in every table as it is at this revision."""
    meta = MetaData()
    meta.reflect(engine)
    written: dict[str, list[dict]] = {}
    with engine.begin() as conn:
        for table in meta.sorted_tables:
            if table.name == "alembic_version" or table.name.startswith("notes_fts"):
                continue  # the search index and its shadow tables are kept by triggers
            rows = [{c.name: value_for(c, n) for c in table.columns} for n in range(2)]
            conn.execute(insert(table), rows)
            written[table.name] = rows
    return written


@pytest.mark.parametrize("revision", revisions()[:-1])
def test_an_upgrade_from_each_revision_loses_nothing(tmp_path, revision):
    path = tmp_path / "bot.db"
    url = f"sqlite:///{path}"
    command.upgrade(alembic_config(url), revision)
    engine = create_engine(url)
    written = fill(engine)
    assert written, f"no tables at {revision}"
    command.upgrade(alembic_config(url), "head")
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        for name, rows in written.items():
            table = meta.tables[name]
            stored = [dict(r._mapping) for r in conn.execute(select(table))]
            for row in rows:
                assert any(all(s[k] == v for k, v in row.items()) for s in stored), (name, row)
    engine.dispose()


def test_every_revision_is_tested_and_head_is_last():
    assert len(revisions()) >= 5 and revisions()[0] == "0001"
