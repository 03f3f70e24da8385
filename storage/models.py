"""ORM tables. Times are stored as UTC; columns hold naive UTC datetimes
because SQLite has no time zone type, and `storage.repo` re-attaches UTC."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class ProcessedEvent(Base):
    """An incoming event the bot has acted on; written in the same
    transaction as the action's effect so nothing is answered twice."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    room_id: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))
    processed_at: Mapped[datetime] = mapped_column(DateTime)


class Update(Base):
    """A member's `!update`, collected for one meeting (its period key)."""

    __tablename__ = "updates"
    __table_args__ = (Index("ix_updates_group_period", "group_id", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    group_id: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(64))
    sender: Mapped[str] = mapped_column(String(255))
    alliance: Mapped[str] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text)
    event_id: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    edited_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class OutboxMessage(Base):
    """A message the bot has decided to send. Queued inside the command's
    transaction and sent after commit with a deterministic transaction id,
    so a crash between commit and send neither loses nor doubles a reply."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "sent_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    txn_id: Mapped[str] = mapped_column(String(255), unique=True)
    room_id: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    reply_to: Mapped[str | None] = mapped_column(String(255), nullable=True)
    mentions: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    remote_event_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[str | None] = mapped_column(Text, nullable=True)


class BotState(Base):
    """Small named values that must survive restarts, e.g. the sync token."""

    __tablename__ = "bot_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
