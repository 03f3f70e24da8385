"""`!mydata` and `!forget me` find a person's rows through the database's
narrowing, on SQLite and PostgreSQL alike: exactly that person's rows, even
among rows of others whose text holds `%`, `_`, a longer id that starts with
theirs, or a differently cased name."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import mysql

from bot.runtime.privacy import person
from storage import models as m
from storage.db import Storage
from storage.repo_privacy import _file_names
from storage.repo_privacy_bytes import blob_holds

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC).replace(tzinfo=None)
ANNA, OTHER = "@anna:x.org", "@anna2:x.org"


@pytest.fixture(params=["sqlite", "postgresql"])
async def storage(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    else:
        url = request.getfixturevalue("postgres").create_database(f"p_{uuid.uuid4().hex[:12]}")
    store = Storage(url)
    await store.migrate()
    yield store
    await store.close()


def message(
    txn: str, body: str, mentions: tuple[str, ...] = (), room: str = "!r:x"
) -> m.OutboxMessage:
    return m.OutboxMessage(
        txn_id=txn,
        room_id=room,
        body=body,
        html="",
        mentions=json.dumps(list(mentions)),
        created_at=NOW,
        sent_at=NOW,
    )


def action(event: str, owners: list[str], by: str) -> m.ActionItem:
    return m.ActionItem(
        group_id="g",
        meeting_key="k",
        text="t",
        owners=json.dumps(owners),
        status="open",
        created_by=by,
        created_at=NOW,
        event_id=event,
    )


async def seed(storage: Storage) -> None:
    async with storage.transaction() as repo:
        repo.session.add_all(
            [
                message("mine-mention", "Due today", (ANNA,)),
                message("mine-named", f"Thanks {ANNA}, recorded"),
                message("mine-private", "your data", room=f"private:{ANNA}"),
                message("mine-by-name", "Owner: Anna Andersen"),
                message("other-longer-id", f"Thanks {OTHER}, recorded", (OTHER,)),
                message("other-wildcards", "100% of a_n_n_a and %anna%"),
                message("other-name-part", "Annabel Andersenova spoke"),
                action("$mine", ["ANNA ANDERSEN"], "@chair:x.org"),
                action("$mine-id", [ANNA], "@chair:x.org"),
                action("$other", [OTHER, "Maria"], OTHER),
            ]
        )


async def test_the_export_holds_exactly_the_persons_rows(storage):
    await seed(storage)
    async with storage.transaction() as repo:
        rows = await repo.person_rows(person(ANNA, ("Anna Andersen",)))
    assert sorted(r["txn_id"] for r in rows["outbox"]) == [
        "mine-by-name",
        "mine-mention",
        "mine-named",
        "mine-private",
    ]
    assert sorted(r["event_id"] for r in rows["action_items"]) == ["$mine", "$mine-id"]


async def test_erasure_leaves_everyone_elses_rows_as_they_were(storage):
    await seed(storage)
    async with storage.transaction() as repo:
        done = await repo.erase_person(person(ANNA, ("Anna Andersen",)))
    assert done["private messages deleted"] == 1 and done["sent messages emptied"] == 3
    assert done["action owners replaced"] == 2
    async with storage.transaction() as repo:
        kept = {
            r.txn_id: r.body for r in await repo.session.execute(m.OutboxMessage.__table__.select())
        }
        owners = {
            r.event_id: json.loads(r.owners)
            for r in await repo.session.execute(m.ActionItem.__table__.select())
        }
    assert kept["other-longer-id"] == f"Thanks {OTHER}, recorded"
    assert kept["other-wildcards"] == "100% of a_n_n_a and %anna%"
    assert kept["other-name-part"] == "Annabel Andersenova spoke"
    assert kept["mine-named"] == "" and "mine-private" not in kept
    assert owners["$other"] == [OTHER, "Maria"]
    assert ANNA not in owners["$mine-id"] and "ANNA ANDERSEN" not in owners["$mine"]


async def test_owners_stored_escaped_or_differently_cased_are_found_as_before(storage):
    """Owners are JSON with `\\u` escapes for letters outside ASCII and `\\"`
    for quotes; `_is` compares casefolded. Whatever the database narrows to,
    every owner the old full read matched is still matched, and no other."""
    kim = "@kim:x.org"  # local part "kim"
    names = ("Zoë Müller", 'Jo "JJ" Straße', "Anne Straße")
    async with storage.transaction() as repo:
        repo.session.add_all(
            [
                action("$upper-non-ascii", ["ZOË MÜLLER"], "@chair:x.org"),
                action("$quoted", ['JO "JJ" STRASSE'], "@chair:x.org"),
                action("$ascii-casefold", ["ANNE STRASSE"], "@chair:x.org"),
                action("$kelvin-sign", ["\u212aim"], "@chair:x.org"),  # casefolds to "kim"
                action("$other-ascii", ["Zoe Muller", "Anne Strasser"], "@chair:x.org"),
                action("$other-escaped", ["Zoé Müller", 'Jo "J" Straße'], "@chair:x.org"),
            ]
        )
    async with storage.transaction() as repo:
        rows = await repo.person_rows(person(kim, names))
        done = await repo.erase_person(person(kim, names))
    found = sorted(r["event_id"] for r in rows["action_items"])
    assert found == ["$ascii-casefold", "$kelvin-sign", "$quoted", "$upper-non-ascii"]
    assert done["action owners replaced"] == 4
    async with storage.transaction() as repo:
        owners = {
            r.event_id: json.loads(r.owners)
            for r in await repo.session.execute(m.ActionItem.__table__.select())
        }
    assert owners["$other-ascii"] == ["Zoe Muller", "Anne Strasser"]
    assert owners["$other-escaped"] == ["Zoé Müller", 'Jo "J" Straße']


async def test_ascii_names_find_owners_stored_escaped(storage):
    """With plain ASCII names too: a quoted nickname is stored `\\"`, and an
    owner typed with a look-alike letter (the Kelvin sign) casefolds to the
    local part."""
    async with storage.transaction() as repo:
        repo.session.add_all(
            [
                action("$quoted", ['JO "JJ" LEE'], "@chair:x.org"),
                action("$kelvin-sign", ["\u212aim"], "@chair:x.org"),
                action("$other", ['Jo "J" Lee', "Kimberly"], "@chair:x.org"),
            ]
        )
    async with storage.transaction() as repo:
        rows = await repo.person_rows(person("@kim:x.org", ('Jo "JJ" Lee',)))
    assert sorted(r["event_id"] for r in rows["action_items"]) == ["$kelvin-sign", "$quoted"]


def file_message(txn: str, data: bytes) -> m.OutboxMessage:
    row = message(txn, "")
    row.file_name, row.file_type, row.file_data = "f.bin", "application/octet-stream", data
    return row


async def test_files_are_searched_byte_wise_in_the_database(storage):
    """A file naming the person after zero bytes or invalid UTF-8 is found
    (as the full read found it); one naming someone else is not read."""
    async with storage.transaction() as repo:
        repo.session.add_all(
            [
                file_message("mine-after-zeros", b"\x89PNG\x00\x00\x00 owner: Anna Andersen\x00"),
                file_message("mine-after-bad-utf8", b"\xff\xfe\xc3 " + ANNA.encode() + b" \x00"),
                file_message("mine-non-ascii", "Zoë and Anna Andersen".encode()),
                file_message("other-longer-id", b"\x00" + OTHER.encode()),
                file_message("other-wildcards", b"%anna% a_n_n_a \x00 ANNA ANDERSEN"),
            ]
        )
    async with storage.transaction() as repo:
        rows = await repo.person_rows(person(ANNA, ("Anna Andersen",)))
    assert sorted(r["txn_id"] for r in rows["outbox"]) == [
        "mine-after-bad-utf8",
        "mine-after-zeros",
        "mine-non-ascii",
    ]
    o = m.OutboxMessage
    async with storage.transaction() as repo:
        read = await repo.session.scalars(
            select(o.txn_id).where(_file_names(person(ANNA, ("Anna Andersen",))))
        )
    assert sorted(read) == ["mine-after-bad-utf8", "mine-after-zeros", "mine-non-ascii"]


def test_another_database_reads_every_file_rather_than_miss_one():
    sql = blob_holds(m.OutboxMessage.file_data, b"x").compile(dialect=mysql.dialect())
    assert str(sql) == "(outbox.file_data IS NOT NULL)"
