"""The outbox's repository functions: queueing a message in the command's
transaction, the sender's reads, and marking what went out.

The statements a command and its reply run every time are built once, on the
table (see storage.repo): a statement built per call costs its construction
and its cache key each time.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage
from storage.times import from_db, to_db

_OUTBOX = OutboxMessage.__table__
# Still to send: neither sent nor given up. The pending index holds exactly
# these rows (its WHERE, storage.models): a query asks it in the same words.
TO_SEND = and_(_OUTBOX.c.sent_at.is_(None), _OUTBOX.c.failed.is_(None))
ENQUEUE = insert(_OUTBOX).returning(_OUTBOX.c.id)
MARK_SENT = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id == bindparam("sent_id"))
    .values(sent_at=bindparam("sent_at_value"), remote_event_id=bindparam("remote"))
)


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


class OutboxRepo:
    session: AsyncSession

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
            .where(TO_SEND, o.id > after_id)
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
        query = select(func.count()).select_from(o).where(TO_SEND)
        return await self.session.scalar(query) or 0

    async def oldest_pending_at(self) -> datetime | None:
        """When the oldest message still to send was queued (None: none is);
        `/healthz` shows its age, so a stuck outbox is seen."""
        o = OutboxMessage
        query = select(func.min(o.created_at)).where(TO_SEND)
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
