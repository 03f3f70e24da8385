"""What the yearly report reads: a period's record of one group in a few
queries (sessions, notes, updates per alliance, minutes posted, action items
and outputs with their history), never row by row."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import MeetingNote, MeetingSession, MinutesPost, Update
from storage.repo_meetings import StoredSession, _session
from storage.times import from_db, to_db


@dataclass(frozen=True)
class KeyedNote:
    meeting_key: str
    kind: str
    text: str
    author: str
    created_at: datetime


class ReportRepo:
    session: AsyncSession

    async def first_record(self, group_id: str) -> datetime | None:
        """When the group's record began: its first live session, note or
        update (None: nothing recorded yet)."""
        firsts = [
            await self.session.scalar(select(func.min(column)).where(where == group_id))
            for column, where in (
                (MeetingSession.started_at, MeetingSession.group_id),
                (MeetingNote.created_at, MeetingNote.group_id),
                (Update.created_at, Update.group_id),
            )
        ]
        found = [from_db(f) for f in firsts if f is not None]
        return min(found) if found else None

    async def sessions_between(
        self, group_id: str, since: datetime, until: datetime
    ) -> list[StoredSession]:
        """Live sessions started in [since, until)."""
        rows = await self.session.scalars(
            select(MeetingSession)
            .where(
                MeetingSession.group_id == group_id,
                MeetingSession.started_at >= to_db(since),
                MeetingSession.started_at < to_db(until),
            )
            .order_by(MeetingSession.id)
        )
        return [_session(row) for row in rows]

    async def notes_for_meetings(self, group_id: str, keys: Collection[str]) -> list[KeyedNote]:
        if not keys:
            return []
        n = MeetingNote
        rows = await self.session.execute(  # columns, not ORM objects: a year has thousands
            select(n.meeting_key, n.kind, n.text, n.author, n.created_at)
            .where(n.group_id == group_id, n.meeting_key.in_(list(keys)), n.removed_at.is_(None))
            .order_by(n.id)
        )
        return [
            KeyedNote(r.meeting_key, r.kind, r.text, r.author, from_db(r.created_at)) for r in rows
        ]

    async def minutes_keys(self, group_id: str, keys: Collection[str]) -> set[str]:
        """Which of these meetings have minutes posted."""
        if not keys:
            return set()
        found = await self.session.scalars(
            select(MinutesPost.meeting_key).where(
                MinutesPost.group_id == group_id, MinutesPost.meeting_key.in_(list(keys))
            )
        )
        return set(found)

    async def updates_per_alliance(
        self, group_id: str, since: datetime, until: datetime
    ) -> dict[str, int]:
        """Updates sent in [since, until), counted per alliance."""
        rows = await self.session.execute(
            select(Update.alliance, func.count())
            .where(
                Update.group_id == group_id,
                Update.created_at >= to_db(since),
                Update.created_at < to_db(until),
            )
            .group_by(Update.alliance)
        )
        return {alliance: count for alliance, count in rows.all()}
