"""What the yearly report reads: a period's record of one group in a few
queries (sessions, notes, updates per alliance, minutes posted, action items
and outputs with their history), never row by row."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ActionItem, MeetingNote, MeetingSession, MinutesPost, Update
from storage.repo_meetings import StoredSession, _session
from storage.times import from_db, to_db


class KeyedNote(NamedTuple):
    """A note with its meeting: a tuple, as a year's report reads thousands."""

    meeting_key: str
    kind: str
    text: str
    author: str
    created_at: datetime


class ReportAction(NamedTuple):
    """What a report counts of an action item (not its words or owners)."""

    id: int
    meeting_key: str
    due: date | None
    status: str
    created_by: str
    created_at: datetime
    closed_at: datetime | None


# The two statements that read thousands of rows, built once (as the hot
# path's are, storage.repo): building one per call cost its construction and
# cache key each time a report was built.
_N = MeetingNote.__table__.c
NOTES_OF_MEETINGS = (
    select(_N.meeting_key, _N.kind, _N.text, _N.author, _N.created_at)
    .where(
        _N.group_id == bindparam("group"),
        _N.meeting_key.in_(bindparam("keys", expanding=True)),
        _N.removed_at.is_(None),
    )
    .order_by(_N.id)
)
_A = ActionItem.__table__.c
ACTIONS_OF_PERIOD = (
    select(_A.id, _A.meeting_key, _A.due, _A.status, _A.created_by, _A.created_at, _A.closed_at)
    .where(
        _A.group_id == bindparam("group"),
        _A.status != "removed",
        or_(
            and_(
                _A.created_at < bindparam("until"),
                or_(_A.closed_at.is_(None), _A.closed_at >= bindparam("since")),
            ),
            _A.meeting_key.in_(bindparam("keys", expanding=True)),
        ),
    )
    .order_by(_A.id)
)


class ReportRepo:
    session: AsyncSession

    async def first_record(self, group_id: str) -> datetime | None:
        """When the group's record began: its first live session, note or
        update (None: nothing recorded yet). One statement: a report asks
        it for the group and each sub-group."""
        firsts = [
            select(func.min(column)).where(where == group_id).scalar_subquery()
            for column, where in (
                (MeetingSession.started_at, MeetingSession.group_id),
                (MeetingNote.created_at, MeetingNote.group_id),
                (Update.created_at, Update.group_id),
            )
        ]
        core = await self.session.connection()
        row = (await core.execute(select(*firsts))).one()
        found = [from_db(f) for f in row if f is not None]
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
        core = await self.session.connection()  # Core rows: a year has thousands of notes
        rows = await core.execute(NOTES_OF_MEETINGS, {"group": group_id, "keys": list(keys)})
        return [
            KeyedNote(key, kind, text, by, from_db(at)) for key, kind, text, by, at in rows.all()
        ]

    async def actions_for_period(
        self, group_id: str, since: datetime, until: datetime, keys: Collection[str]
    ) -> list[ReportAction]:
        """The action items a report of [since, until) counts: opened before
        its end and not closed before its start, and any of these meetings'
        (presence reads the ones created while a meeting ran). Removed ones
        never count."""
        core = await self.session.connection()
        rows = await core.execute(
            ACTIONS_OF_PERIOD,
            {"group": group_id, "since": to_db(since), "until": to_db(until), "keys": list(keys)},
        )
        return [
            ReportAction(id_, key, due, status, by, from_db(at), from_db(closed))
            for id_, key, due, status, by, at, closed in rows.all()
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
