"""Repository functions: the only way handlers and the core reach the database."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import BotState, DisplayName, OutboxMessage, ProcessedEvent, Update
from storage.repo_meetings import MeetingRepo
from storage.repo_outputs import OutputRepo
from storage.repo_report import ReportRepo
from storage.repo_schedule import ScheduleRepo
from storage.times import from_db, to_db


@dataclass(frozen=True)
class StoredUpdate:
    id: int
    group_id: str
    period: str
    sender: str
    alliance: str
    text: str
    event_id: str
    created_at: datetime
    edited_at: datetime | None


@dataclass(frozen=True)
class PendingMessage:
    id: int
    txn_id: str
    room_id: str
    body: str
    html: str
    reply_to: str | None
    mentions: tuple[str, ...]
    attempts: int
    file_name: str | None = None
    file_type: str | None = None
    file_data: bytes | None = None
    reaction: str | None = None
    replaces: str | None = None


def _stored(row: Update) -> StoredUpdate:
    return StoredUpdate(
        row.id,
        row.group_id,
        row.period,
        row.sender,
        row.alliance,
        row.text,
        row.event_id,
        from_db(row.created_at),
        from_db(row.edited_at),
    )


class Repo(ScheduleRepo, MeetingRepo, OutputRepo, ReportRepo):
    """Bound to one session inside one transaction (see Storage.transaction)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # processed events
    async def is_processed(self, event_id: str) -> bool:
        return await self.session.get(ProcessedEvent, event_id) is not None

    async def mark_processed(self, event_id: str, room_id: str, kind: str, now: datetime) -> None:
        self.session.add(
            ProcessedEvent(event_id=event_id, room_id=room_id, kind=kind, processed_at=to_db(now))
        )
        await self.session.flush()

    # updates
    async def add_update(
        self,
        *,
        group_id: str,
        period: str,
        sender: str,
        alliance: str,
        text: str,
        event_id: str,
        now: datetime,
    ) -> StoredUpdate:
        row = Update(
            group_id=group_id,
            period=period,
            sender=sender,
            alliance=alliance,
            text=text,
            event_id=event_id,
            created_at=to_db(now),
        )
        self.session.add(row)
        await self.session.flush()
        return _stored(row)

    async def update_by_event(self, event_id: str) -> StoredUpdate | None:
        row = await self.session.scalar(select(Update).where(Update.event_id == event_id))
        return None if row is None else _stored(row)

    async def edit_update(self, event_id: str, text: str, now: datetime) -> bool:
        result = await self.session.execute(
            update(Update)
            .where(Update.event_id == event_id)
            .values(text=text, edited_at=to_db(now))
        )
        return result.rowcount > 0

    async def delete_update(self, event_id: str) -> bool:
        result = await self.session.execute(delete(Update).where(Update.event_id == event_id))
        return result.rowcount > 0

    async def move_updates(self, group_id: str, from_period: str, to_period: str) -> int:
        result = await self.session.execute(
            update(Update)
            .where(Update.group_id == group_id, Update.period == from_period)
            .values(period=to_period)
        )
        return result.rowcount

    async def updates_for(self, group_id: str, period: str) -> list[StoredUpdate]:
        rows = await self.session.scalars(
            select(Update)
            .where(Update.group_id == group_id, Update.period == period)
            .order_by(Update.alliance, Update.created_at, Update.id)
        )
        return [_stored(row) for row in rows]

    # outbox
    async def enqueue(
        self,
        *,
        txn_id: str,
        room_id: str,
        body: str,
        html: str,
        reply_to: str | None,
        mentions: Sequence[str],
        now: datetime,
        file: tuple[str, str, bytes] | None = None,
        reaction: str | None = None,
        replaces: str | None = None,
    ) -> None:
        """Queue a message; `file` is (name, MIME type, content) for an upload."""
        name, mime, data = file or (None, None, None)
        self.session.add(
            OutboxMessage(
                txn_id=txn_id,
                room_id=room_id,
                body=body,
                html=html,
                reply_to=reply_to,
                mentions=json.dumps(list(mentions)),
                created_at=to_db(now),
                attempts=0,
                file_name=name,
                file_type=mime,
                file_data=data,
                reaction=reaction,
                replaces=replaces,
            )
        )
        await self.session.flush()

    async def pending_messages(self, limit: int = 100) -> list[PendingMessage]:
        rows = await self.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.sent_at.is_(None), OutboxMessage.failed.is_(None))
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
        return [
            PendingMessage(
                r.id,
                r.txn_id,
                r.room_id,
                r.body,
                r.html,
                r.reply_to,
                tuple(json.loads(r.mentions or "[]")),
                r.attempts,
                r.file_name,
                r.file_type,
                r.file_data,
                r.reaction,
                r.replaces,
            )
            for r in rows
        ]

    async def mark_sent(self, message_id: int, remote_event_id: str, now: datetime) -> None:
        await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(sent_at=to_db(now), remote_event_id=remote_event_id)
        )

    async def mark_attempt_failed(self, message_id: int, error: str, *, give_up: bool) -> None:
        values: dict = {"attempts": OutboxMessage.attempts + 1}
        if give_up:
            values["failed"] = error
        await self.session.execute(
            update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values)
        )

    async def sent_message_count(self, reply_to: str) -> int:
        rows = await self.session.scalars(
            select(OutboxMessage.id).where(
                OutboxMessage.reply_to == reply_to, OutboxMessage.sent_at.is_not(None)
            )
        )
        return len(rows.all())

    # small persistent values
    async def get_state(self, key: str) -> str | None:
        row = await self.session.get(BotState, key)
        return None if row is None else row.value

    async def set_state(self, key: str, value: str) -> None:
        await self.session.merge(BotState(key=key, value=value))
        await self.session.flush()

    async def remember_display_name(self, user_id: str, name: str | None, now: datetime) -> bool:
        """Store what the network reports (None: the person removed theirs);
        True if that changed anything."""
        row = await self.session.get(DisplayName, user_id)
        if name is None:
            if row is None:
                return False
            await self.session.delete(row)
        elif row is not None and row.name == name:
            return False
        else:
            await self.session.merge(DisplayName(user_id=user_id, name=name, updated_at=to_db(now)))
        await self.session.flush()
        return True

    async def display_names(self) -> dict[str, str]:
        rows = await self.session.scalars(select(DisplayName))
        return {row.user_id: row.name for row in rows}
