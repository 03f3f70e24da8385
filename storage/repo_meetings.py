"""Repository functions for live meetings, their notes, action items and minutes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ActionItem, MeetingNote, MeetingSession, MinutesPost, OutboxMessage
from storage.times import from_db, to_db


@dataclass(frozen=True)
class StoredSession:
    id: int
    meeting_key: str
    start_local: str
    end_local: str
    started_by: str
    closes_at: datetime
    ended_at: datetime | None
    started_at: datetime | None = None  # when `!startmeeting` ran


@dataclass(frozen=True)
class StoredNote:
    id: int
    kind: str
    text: str
    author: str
    created_at: datetime


@dataclass(frozen=True)
class StoredAction:
    id: int
    meeting_key: str
    text: str
    owners: tuple[str, ...]
    due: date | None
    status: str
    created_by: str
    created_at: datetime
    closed_at: datetime | None = None


def _session(row: MeetingSession) -> StoredSession:
    return StoredSession(
        row.id,
        row.meeting_key,
        row.start_local,
        row.end_local,
        row.started_by,
        from_db(row.closes_at),
        from_db(row.ended_at),
        from_db(row.started_at),
    )


def action_of(row) -> StoredAction:
    """From an ActionItem or a row of its columns (the same names)."""
    return StoredAction(
        row.id,
        row.meeting_key,
        row.text,
        tuple(json.loads(row.owners)),
        row.due,
        row.status,
        row.created_by,
        from_db(row.created_at),
        from_db(row.closed_at),
    )


class MeetingRepo:
    session: AsyncSession

    async def open_session(self, group_id: str) -> StoredSession | None:
        row = await self.session.scalar(
            select(MeetingSession)
            .where(MeetingSession.group_id == group_id, MeetingSession.ended_at.is_(None))
            .order_by(MeetingSession.id.desc())
            .limit(1)
        )
        return None if row is None else _session(row)

    async def sessions_started_since(self, group_id: str, since: datetime) -> list[StoredSession]:
        rows = await self.session.scalars(
            select(MeetingSession)
            .where(MeetingSession.group_id == group_id, MeetingSession.started_at > to_db(since))
            .order_by(MeetingSession.id)
        )
        return [_session(row) for row in rows]

    async def last_session(self, group_id: str) -> StoredSession | None:
        row = await self.session.scalar(
            select(MeetingSession)
            .where(MeetingSession.group_id == group_id)
            .order_by(MeetingSession.id.desc())
            .limit(1)
        )
        return None if row is None else _session(row)

    async def start_session(
        self,
        *,
        group_id: str,
        meeting_key: str,
        start_local: str,
        end_local: str,
        started_by: str,
        now: datetime,
        closes_at: datetime,
    ) -> None:
        self.session.add(
            MeetingSession(
                group_id=group_id,
                meeting_key=meeting_key,
                start_local=start_local,
                end_local=end_local,
                started_by=started_by,
                started_at=to_db(now),
                closes_at=to_db(closes_at),
            )
        )
        await self.session.flush()

    async def end_session(self, session_id: int, ended_by: str, now: datetime) -> None:
        await self.session.execute(
            update(MeetingSession)
            .where(MeetingSession.id == session_id)
            .values(ended_at=to_db(now), ended_by=ended_by)
        )

    async def sessions_due_to_close(self, now: datetime) -> list[tuple[str, StoredSession]]:
        rows = await self.session.scalars(
            select(MeetingSession).where(
                MeetingSession.ended_at.is_(None), MeetingSession.closes_at <= to_db(now)
            )
        )
        return [(row.group_id, _session(row)) for row in rows]

    async def add_note(
        self,
        *,
        group_id: str,
        meeting_key: str,
        kind: str,
        text: str,
        author: str,
        event_id: str,
        now: datetime,
    ) -> None:
        self.session.add(
            MeetingNote(
                group_id=group_id,
                meeting_key=meeting_key,
                kind=kind,
                text=text,
                author=author,
                event_id=event_id,
                created_at=to_db(now),
            )
        )
        await self.session.flush()

    async def notes_for(self, group_id: str, meeting_key: str) -> list[StoredNote]:
        rows = await self.session.scalars(
            select(MeetingNote)
            .where(
                MeetingNote.group_id == group_id,
                MeetingNote.meeting_key == meeting_key,
                MeetingNote.removed_at.is_(None),
            )
            .order_by(MeetingNote.id)
        )
        return [StoredNote(r.id, r.kind, r.text, r.author, from_db(r.created_at)) for r in rows]

    async def remove_note(self, note_id: int, now: datetime) -> None:
        await self.session.execute(
            update(MeetingNote).where(MeetingNote.id == note_id).values(removed_at=to_db(now))
        )

    async def add_action(
        self,
        *,
        group_id: str,
        meeting_key: str,
        text: str,
        owners: tuple[str, ...],
        due: date | None,
        created_by: str,
        event_id: str,
        now: datetime,
    ) -> StoredAction:
        row = ActionItem(
            group_id=group_id,
            meeting_key=meeting_key,
            text=text,
            owners=json.dumps(list(owners)),
            due=due,
            status="open",
            created_by=created_by,
            created_at=to_db(now),
            event_id=event_id,
        )
        self.session.add(row)
        await self.session.flush()
        return action_of(row)

    async def action(self, group_id: str, action_id: int) -> StoredAction | None:
        row = await self.session.get(ActionItem, action_id)
        return None if row is None or row.group_id != group_id else action_of(row)

    async def actions(self, group_id: str, *, status: str | None = "open") -> list[StoredAction]:
        """Read as columns, not ORM objects (the report reads years of them)."""
        query = select(*ActionItem.__table__.columns).where(ActionItem.group_id == group_id)
        if status is not None:
            query = query.where(ActionItem.status == status)
        rows = await self.session.execute(query.order_by(ActionItem.id))
        return [action_of(row) for row in rows]

    async def actions_created_in(self, group_id: str, meeting_key: str) -> list[StoredAction]:
        rows = await self.session.scalars(
            select(ActionItem)
            .where(
                ActionItem.group_id == group_id,
                ActionItem.meeting_key == meeting_key,
                ActionItem.status != "removed",
            )
            .order_by(ActionItem.id)
        )
        return [action_of(row) for row in rows]

    async def edit_action(self, action_id: int, text: str, due: date | None) -> None:
        await self.session.execute(
            update(ActionItem).where(ActionItem.id == action_id).values(text=text, due=due)
        )

    async def set_action_status(self, action_id: int, status: str, by: str, now: datetime) -> None:
        closed = status != "open"
        await self.session.execute(
            update(ActionItem)
            .where(ActionItem.id == action_id)
            .values(
                status=status,
                closed_by=by if closed else None,
                closed_at=to_db(now) if closed else None,
            )
        )

    async def minutes_post(self, group_id: str, meeting_key: str) -> tuple[list[str], int] | None:
        row = await self.session.get(MinutesPost, (group_id, meeting_key))
        return None if row is None else (json.loads(row.txn_ids), row.revision)

    async def save_minutes_post(
        self,
        group_id: str,
        meeting_key: str,
        txn_ids: list[str],
        markdown: str,
        revision: int,
        now: datetime,
    ) -> None:
        await self.session.merge(
            MinutesPost(
                group_id=group_id,
                meeting_key=meeting_key,
                txn_ids=json.dumps(txn_ids),
                markdown=markdown,
                revision=revision,
                updated_at=to_db(now),
            )
        )
        await self.session.flush()

    async def remote_event_id(self, txn_id: str) -> str | None:
        return await self.session.scalar(
            select(OutboxMessage.remote_event_id).where(OutboxMessage.txn_id == txn_id)
        )
