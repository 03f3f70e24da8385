"""Repository functions for the calendar: overrides, agenda items, posts, quiet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AgendaItem, MeetingOverride, QuietMember, ScheduledPost
from storage.times import from_db, to_db


@dataclass(frozen=True)
class StoredOverride:
    kind: str
    original_local: str | None
    new_local: str | None
    reason: str


@dataclass(frozen=True)
class StoredAgendaItem:
    id: int
    meeting_key: str
    text: str
    proposer: str
    created_at: datetime


class ScheduleRepo:
    session: AsyncSession

    async def add_override(
        self,
        *,
        group_id: str,
        kind: str,
        original_local: str | None,
        new_local: str | None,
        reason: str,
        created_by: str,
        now: datetime,
    ) -> None:
        self.session.add(
            MeetingOverride(
                group_id=group_id,
                kind=kind,
                original_local=original_local,
                new_local=new_local,
                reason=reason,
                created_by=created_by,
                created_at=to_db(now),
            )
        )
        await self.session.flush()

    async def overrides(self, group_id: str) -> list[StoredOverride]:
        """In the order chairs made them: the pure calendar folds them in order."""
        rows = await self.session.scalars(
            select(MeetingOverride)
            .where(MeetingOverride.group_id == group_id)
            .order_by(MeetingOverride.id)
        )
        return [StoredOverride(r.kind, r.original_local, r.new_local, r.reason) for r in rows]

    async def add_agenda_item(
        self,
        *,
        group_id: str,
        meeting_key: str,
        text: str,
        proposer: str,
        event_id: str,
        now: datetime,
    ) -> None:
        self.session.add(
            AgendaItem(
                group_id=group_id,
                meeting_key=meeting_key,
                text=text,
                proposer=proposer,
                event_id=event_id,
                created_at=to_db(now),
            )
        )
        await self.session.flush()

    async def agenda_items(self, group_id: str, meeting_key: str) -> list[StoredAgendaItem]:
        rows = await self.session.scalars(
            select(AgendaItem)
            .where(
                AgendaItem.group_id == group_id,
                AgendaItem.meeting_key == meeting_key,
                AgendaItem.removed_at.is_(None),
            )
            .order_by(AgendaItem.id)
        )
        return [
            StoredAgendaItem(r.id, r.meeting_key, r.text, r.proposer, from_db(r.created_at))
            for r in rows
        ]

    async def remove_agenda_item(self, item_id: int, now: datetime) -> None:
        await self.session.execute(
            update(AgendaItem).where(AgendaItem.id == item_id).values(removed_at=to_db(now))
        )

    async def was_posted(self, group_id: str, meeting_key: str, kind: str) -> bool:
        return await self.session.get(ScheduledPost, (group_id, meeting_key, kind)) is not None

    async def record_post(self, group_id: str, meeting_key: str, kind: str, now: datetime) -> None:
        self.session.add(
            ScheduledPost(
                group_id=group_id, meeting_key=meeting_key, kind=kind, posted_at=to_db(now)
            )
        )
        await self.session.flush()

    async def quiet_members(self, group_id: str) -> set[str]:
        rows = await self.session.scalars(
            select(QuietMember.user_id).where(QuietMember.group_id == group_id)
        )
        return set(rows)

    async def set_quiet(self, group_id: str, user_id: str, quiet: bool) -> None:
        await self.session.execute(
            delete(QuietMember).where(
                QuietMember.group_id == group_id, QuietMember.user_id == user_id
            )
        )
        if quiet:
            self.session.add(QuietMember(group_id=group_id, user_id=user_id))
        await self.session.flush()
