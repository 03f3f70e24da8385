"""Outputs and their history: the repository half of `handlers/outputs.py`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Output, OutputChange
from storage.times import from_db, to_db


@dataclass(frozen=True)
class StoredOutput:
    id: int
    group_id: str
    kind: str
    title: str
    status: str
    due: date | None
    owner: str | None
    link: str | None
    created_by: str


@dataclass(frozen=True)
class StoredOutputChange:
    output_id: int
    title: str
    kind: str
    status: str
    note: str
    changed_by: str
    changed_at: datetime


def _output(row: Output) -> StoredOutput:
    return StoredOutput(
        row.id,
        row.group_id,
        row.kind,
        row.title,
        row.status,
        row.due,
        row.owner,
        row.link,
        row.created_by,
    )


class OutputRepo:
    session: AsyncSession

    async def add_output(
        self,
        *,
        group_id: str,
        kind: str,
        title: str,
        due: date | None,
        owner: str | None,
        created_by: str,
        event_id: str,
        now: datetime,
    ) -> StoredOutput:
        row = Output(
            group_id=group_id,
            kind=kind,
            title=title,
            status="planned",
            due=due,
            owner=owner,
            created_by=created_by,
            created_at=to_db(now),
            event_id=event_id,
        )
        self.session.add(row)
        await self.session.flush()
        await self._record(row, "planned", "added", created_by, event_id, now)
        return _output(row)

    async def output(self, group_id: str, output_id: int) -> StoredOutput | None:
        row = await self.session.get(Output, output_id)
        return _output(row) if row is not None and row.group_id == group_id else None

    async def outputs(self, group_id: str) -> list[StoredOutput]:
        query = select(Output).where(Output.group_id == group_id).order_by(Output.id)
        return [_output(row) for row in await self.session.scalars(query)]

    async def change_output(
        self,
        output_id: int,
        *,
        by: str,
        event_id: str,
        now: datetime,
        status: str | None = None,
        link: str | None = None,
        note: str = "",
    ) -> None:
        """A new status or link, and its line in the history, together."""
        row = await self.session.get(Output, output_id)
        assert row is not None
        if status is not None:
            row.status = status
        if link is not None:
            row.link = link
            note = note or f"link {link}"
        await self._record(row, row.status, note, by, event_id, now)

    async def output_changes(
        self, group_id: str, since: datetime, until: datetime | None = None
    ) -> list[StoredOutputChange]:
        """The steps after `since` and up to `until` (inclusive), oldest first."""
        c = OutputChange
        query = (
            select(
                c.output_id, Output.title, Output.kind, c.status, c.note, c.changed_by, c.changed_at
            )
            .join(Output, Output.id == c.output_id)
            .where(c.group_id == group_id, c.changed_at > to_db(since))
            .order_by(c.id)
        )
        if until is not None:
            query = query.where(c.changed_at <= to_db(until))
        core = await self.session.connection()  # Core rows: the report reads all of them
        return [
            StoredOutputChange(output, title, kind, status, note, by, from_db(at))
            for output, title, kind, status, note, by, at in (await core.execute(query)).all()
        ]

    async def _record(
        self, row: Output, status: str, note: str, by: str, event_id: str, now: datetime
    ) -> None:
        self.session.add(
            OutputChange(
                output_id=row.id,
                group_id=row.group_id,
                status=status,
                note=note,
                changed_by=by,
                changed_at=to_db(now),
                event_id=event_id,
            )
        )
        await self.session.flush()
