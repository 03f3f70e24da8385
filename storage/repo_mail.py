"""Repository functions for e-mail: the mail outbox and mail tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import MailMessage, MailToken
from storage.times import from_db, to_db


@dataclass(frozen=True)
class PendingMail:
    id: int
    message_id: str
    group_id: str
    kind: str
    recipient: str
    raw: bytes
    attempts: int
    user_id: str | None = None  # the person a personal mail is for


@dataclass(frozen=True)
class StoredMailToken:
    purpose: str
    group_id: str
    user_id: str
    meeting_key: str | None
    expires_at: datetime


class MailRepo:
    session: AsyncSession

    async def enqueue_mail(
        self,
        *,
        message_id: str,
        group_id: str,
        kind: str,
        recipient: str,
        user_id: str | None,
        raw: bytes,
        now: datetime,
    ) -> bool:
        """Queue a mail; False (and nothing queued) when this Message-ID already was."""
        if await self.mail_queued(message_id):
            return False
        self.session.add(
            MailMessage(
                message_id=message_id,
                group_id=group_id,
                kind=kind,
                recipient=recipient,
                user_id=user_id,
                raw=raw,
                created_at=to_db(now),
                next_attempt_at=to_db(now),
                attempts=0,
            )
        )
        await self.session.flush()
        return True

    async def mail_queued(self, message_id: str) -> bool:
        found = await self.session.scalar(
            select(MailMessage.id).where(MailMessage.message_id == message_id)
        )
        return found is not None

    async def due_mails(self, now: datetime, limit: int) -> list[PendingMail]:
        rows = await self.session.scalars(
            select(MailMessage)
            .where(
                MailMessage.sent_at.is_(None),
                MailMessage.failed.is_(None),
                MailMessage.next_attempt_at <= to_db(now),
            )
            .order_by(MailMessage.id)
            .limit(limit)
        )
        return [
            PendingMail(
                r.id, r.message_id, r.group_id, r.kind, r.recipient, r.raw, r.attempts, r.user_id
            )
            for r in rows
        ]

    async def next_mail_at(self) -> datetime | None:
        """When the next waiting mail may be tried (None: nothing waits)."""
        return from_db(
            await self.session.scalar(
                select(func.min(MailMessage.next_attempt_at)).where(
                    MailMessage.sent_at.is_(None), MailMessage.failed.is_(None)
                )
            )
        )

    async def pending_mail_count(self) -> int:
        return await self.session.scalar(
            select(func.count(MailMessage.id)).where(
                MailMessage.sent_at.is_(None), MailMessage.failed.is_(None)
            )
        )

    async def mark_mail_sent(self, mail_id: int, now: datetime) -> None:
        """Sent: the message itself is dropped (its tokens now live only in the
        recipient's mailbox); the row stays, so it is never queued again."""
        await self.session.execute(
            update(MailMessage)
            .where(MailMessage.id == mail_id)
            .values(sent_at=to_db(now), attempts=MailMessage.attempts + 1, raw=b"")
        )

    async def mark_mail_retry(self, mail_id: int, error: str, next_at: datetime) -> None:
        await self.session.execute(
            update(MailMessage)
            .where(MailMessage.id == mail_id)
            .values(next_attempt_at=to_db(next_at), attempts=MailMessage.attempts + 1)
        )

    async def mark_mail_failed(self, mail_id: int, error: str) -> None:
        """Given up: the body goes (its links with it), the record stays."""
        await self.session.execute(
            update(MailMessage)
            .where(MailMessage.id == mail_id)
            .values(failed=error[:500], attempts=MailMessage.attempts + 1, raw=b"")
        )

    async def add_mail_token(
        self,
        *,
        token_hash: str,
        purpose: str,
        group_id: str,
        user_id: str,
        meeting_key: str | None,
        expires_at: datetime,
        now: datetime,
    ) -> None:
        if await self.session.get(MailToken, token_hash) is not None:
            return  # the same token again (a resent post): nothing new
        self.session.add(
            MailToken(
                token_hash=token_hash,
                purpose=purpose,
                group_id=group_id,
                user_id=user_id,
                meeting_key=meeting_key,
                expires_at=to_db(expires_at),
                created_at=to_db(now),
            )
        )
        await self.session.flush()

    async def mail_token(self, token_hash: str) -> StoredMailToken | None:
        row = await self.session.get(MailToken, token_hash)
        if row is None:
            return None
        expires = from_db(row.expires_at)
        return StoredMailToken(row.purpose, row.group_id, row.user_id, row.meeting_key, expires)  # type: ignore[arg-type]

    async def postpone_mail(self, mail_id: int, until: datetime) -> None:
        """Wait without charging an attempt (the server, not the mail, failed)."""
        await self.session.execute(
            update(MailMessage)
            .where(MailMessage.id == mail_id)
            .values(next_attempt_at=to_db(until))
        )
