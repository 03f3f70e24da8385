"""Repository functions for calendar feeds: the link's token and what each
meeting's entry last looked like (its SEQUENCE)."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.calendar.revisions import Revision
from storage.models import FeedEvent, FeedToken, OutboxMessage
from storage.times import from_db, to_db

TOKEN_BYTES = 24  # 192 bits, URL-safe base64: not guessable, short enough for a link


class FeedRepo:
    session: AsyncSession

    async def feed_token(self, group_id: str, now: datetime) -> str:
        """The group's feed token, made on first use."""
        row = await self.session.get(FeedToken, group_id)
        if row is not None:
            return row.token
        return await self.rotate_feed_token(group_id, now)

    async def rotate_feed_token(self, group_id: str, now: datetime) -> str:
        """A new token; the old one (if any) stops working in this transaction."""
        await self.session.execute(delete(FeedToken).where(FeedToken.group_id == group_id))
        token = secrets.token_urlsafe(TOKEN_BYTES)
        self.session.add(FeedToken(group_id=group_id, token=token, created_at=to_db(now)))
        await self.session.flush()
        return token

    async def feed_revisions(self, group_id: str) -> dict[str, Revision]:
        rows = await self.session.scalars(select(FeedEvent).where(FeedEvent.group_id == group_id))
        return {
            r.meeting_key: Revision(r.fingerprint, r.sequence, from_db(r.modified_at))  # type: ignore[arg-type]
            for r in rows
        }

    async def save_revisions(self, group_id: str, changed: dict[str, Revision]) -> None:
        """Store revisions that are new or changed (a merge per meeting)."""
        for key, revision in changed.items():
            await self.session.merge(
                FeedEvent(
                    group_id=group_id,
                    meeting_key=key,
                    fingerprint=revision.fingerprint,
                    sequence=revision.sequence,
                    modified_at=to_db(revision.modified),
                )
            )
        await self.session.flush()

    async def remote_event_ids(self, txn_ids: list[str]) -> dict[str, str]:
        """The network's ids of those of our messages that were sent (one query)."""
        if not txn_ids:
            return {}
        rows = await self.session.execute(
            select(OutboxMessage.txn_id, OutboxMessage.remote_event_id).where(
                OutboxMessage.txn_id.in_(txn_ids), OutboxMessage.remote_event_id.is_not(None)
            )
        )
        return {txn: remote for txn, remote in rows}
