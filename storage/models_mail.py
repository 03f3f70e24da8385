"""ORM tables of calendar feeds, mail and web sign-in (the same `Base` as `storage.models`,
which re-exports them); naive UTC datetimes, as there."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base


class FeedToken(Base):
    """The secret part of a group's calendar feed URL. Rotating replaces the
    row, so the old link stops working at once (404)."""

    __tablename__ = "feed_tokens"

    group_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class FeedEvent(Base):
    """What subscribers were last shown of one meeting: a change of its time
    or status raises `sequence` (RFC 5545), whatever caused it."""

    __tablename__ = "feed_events"

    group_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    meeting_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(128))
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    modified_at: Mapped[datetime] = mapped_column(DateTime)


class MailMessage(Base):
    """A mail the bot has decided to send, the whole RFC 5322 message, queued
    in the transaction that decided it. `message_id` is deterministic per
    post and recipient: queuing it twice is refused by the unique key."""

    __tablename__ = "mail_outbox"
    __table_args__ = (Index("ix_mail_pending", "sent_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    group_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(320))
    user_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    failed: Mapped[str | None] = mapped_column(Text, nullable=True)


class MailToken(Base):
    """A token in a mail address or link (reply-with-update, opt-out), stored
    hashed: the database alone does not let anyone act as a member."""

    __tablename__ = "mail_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16))
    group_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(255), index=True)
    meeting_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class WebLink(Base):
    """A one-time sign-in link (`!web`), stored hashed: single use, short-lived."""

    __tablename__ = "web_links"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(255), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class WebSession(Base):
    """A signed-in browser (its cookie, stored hashed) and its form token."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(255), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
