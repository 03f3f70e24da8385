"""Repository functions: the only way handlers and the core reach the database."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import BotState, DisplayName, OutboxMessage, ProcessedEvent, Update
from storage.repo_feed import FeedRepo
from storage.repo_mail import MailRepo
from storage.repo_meetings import MeetingRepo
from storage.repo_outputs import OutputRepo
from storage.repo_privacy import PrivacyRepo
from storage.repo_report import ReportRepo
from storage.repo_retention import RetentionRepo
from storage.repo_schedule import ScheduleRepo
from storage.repo_web import WebRepo
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


# The statements every command runs, built once: a statement built per call
# costs its construction and its cache key each time (about a third of the
# database layer's CPU per command), and these never change. On the tables,
# not the mapped classes: the ORM's bulk machinery has nothing to add here.
_PROCESSED = ProcessedEvent.__table__
_OUTBOX = OutboxMessage.__table__
_UPDATES = Update.__table__
IS_PROCESSED = select(_PROCESSED.c.event_id).where(_PROCESSED.c.event_id == bindparam("event_id"))
MARK_PROCESSED = insert(_PROCESSED)
ADD_UPDATE = insert(_UPDATES).returning(_UPDATES.c.id)
ENQUEUE = insert(_OUTBOX).returning(_OUTBOX.c.id)
MARK_SENT = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id == bindparam("sent_id"))
    .values(sent_at=bindparam("sent_at_value"), remote_event_id=bindparam("remote"))
)


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


class Repo(
    ScheduleRepo,
    MeetingRepo,
    OutputRepo,
    ReportRepo,
    PrivacyRepo,
    RetentionRepo,
    FeedRepo,
    MailRepo,
    WebRepo,
):
    """Bound to one session inside one transaction (see Storage.transaction)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        # run once this transaction has committed (never after a rollback):
        # e.g. handing the sender the messages it queued
        self.committed: list[Callable[[], None]] = []

    # processed events
    # The hot path of every command (is it new, mark it done, queue the reply,
    # the outbox's reads and writes) uses Core statements, not ORM objects: the
    # unit of work costs about a millisecond of CPU per flush, and these rows
    # are never read back as objects in the same transaction.
    async def is_processed(self, event_id: str) -> bool:
        return await self.session.scalar(IS_PROCESSED, {"event_id": event_id}) is not None

    async def mark_processed(self, event_id: str, room_id: str, kind: str, now: datetime) -> None:
        values = {
            "event_id": event_id,
            "room_id": room_id,
            "kind": kind,
            "processed_at": to_db(now),
        }
        await self.session.execute(MARK_PROCESSED, values)

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
        values = dict(
            group_id=group_id,
            period=period,
            sender=sender,
            alliance=alliance,
            text=text,
            event_id=event_id,
            created_at=to_db(now),
        )
        inserted = await self.session.execute(ADD_UPDATE, values)
        return StoredUpdate(
            inserted.scalar_one(), group_id, period, sender, alliance, text, event_id,
            from_db(values["created_at"]), None,
        )  # fmt: skip

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
        """The period's updates that still have a text (erasure and retention
        empty texts but keep the rows, which only the report counts)."""
        rows = await self.session.scalars(
            select(Update)
            .where(Update.group_id == group_id, Update.period == period, Update.text != "")
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
    ) -> PendingMessage:
        """Queue a message; `file` is (name, MIME type, content) for an upload.
        Returns it as the sender will send it (once this transaction commits)."""
        name, mime, data = file or (None, None, None)
        values = {
            "txn_id": txn_id,
            "room_id": room_id,
            "body": body,
            "html": html,
            "reply_to": reply_to,
            "mentions": json.dumps(list(mentions)),
            "created_at": to_db(now),
            "attempts": 0,
            "file_name": name,
            "file_type": mime,
            "file_data": data,
            "reaction": reaction,
            "replaces": replaces,
        }
        message_id = await self.session.scalar(ENQUEUE, values)
        return PendingMessage(
            message_id, txn_id, room_id, body, html, reply_to, tuple(mentions), 0,
            name, mime, data, reaction, replaces,
        )  # fmt: skip

    async def pending_messages(self, limit: int = 100, after_id: int = 0) -> list[PendingMessage]:
        """Unsent messages in queue order, from after `after_id` on."""
        o = OutboxMessage
        columns = (o.id, o.txn_id, o.room_id, o.body, o.html, o.reply_to, o.mentions, o.attempts)
        rows = await self.session.execute(
            select(*columns, o.file_name, o.file_type, o.file_data, o.reaction, o.replaces)
            .where(o.sent_at.is_(None), o.failed.is_(None), o.id > after_id)
            .order_by(o.id)
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

    async def pending_count(self) -> int:
        o = OutboxMessage
        query = select(func.count()).select_from(o).where(o.sent_at.is_(None), o.failed.is_(None))
        return await self.session.scalar(query) or 0

    async def oldest_pending_at(self) -> datetime | None:
        """When the oldest message still to send was queued (None: none is);
        `/healthz` shows its age, so a stuck outbox is seen."""
        o = OutboxMessage
        query = select(func.min(o.created_at)).where(o.sent_at.is_(None), o.failed.is_(None))
        return from_db(await self.session.scalar(query))

    async def mark_sent(self, message_id: int, remote_event_id: str, now: datetime) -> None:
        await self.mark_all_sent([(message_id, remote_event_id, now)])

    async def mark_all_sent(self, sent: Sequence[tuple[int, str, datetime]]) -> None:
        """Mark these (id, remote event id, when) sent, in one statement."""
        await self.session.execute(  # one UPDATE by primary key, executed as one batch
            MARK_SENT,
            [{"sent_id": i, "remote": r, "sent_at_value": to_db(at)} for i, r, at in sent],
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
        return await self.session.scalar(select(BotState.value).where(BotState.key == key))

    async def set_state(self, key: str, value: str) -> None:
        changed = await self.session.execute(
            update(BotState).where(BotState.key == key).values(value=value)
        )
        if changed.rowcount == 0:
            await self.session.execute(insert(BotState).values(key=key, value=value))

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
