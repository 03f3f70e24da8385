"""ORM tables. Times are stored as UTC; columns hold naive UTC datetimes
because SQLite has no time zone type, and `storage.repo` re-attaches UTC."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Index, Integer, LargeBinary, String, Text, text
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
    __table_args__ = (
        Index("ix_updates_group_period", "group_id", "period"),
        Index("ix_updates_group_created", "group_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    group_id: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(64))
    sender: Mapped[str] = mapped_column(String(255))
    alliance: Mapped[str] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text)
    event_id: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    edited_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


_TO_SEND = text("sent_at IS NULL AND failed IS NULL")  # as storage.repo_outbox.TO_SEND asks


class OutboxMessage(Base):
    """A message the bot has decided to send. Queued inside the command's
    transaction and sent after commit with a deterministic transaction id,
    so a crash between commit and send neither loses nor doubles a reply."""

    __tablename__ = "outbox"
    # only what is still to send (migration 0009): a mark takes its entry out.
    # The migration gives PostgreSQL's index the same WHERE; `postgresql_where`
    # here would import PostgreSQL's dialect into every bot on SQLite (about
    # 20 ms of each start), and nothing creates tables from these models.
    __table_args__ = (Index("ix_outbox_pending", "id", sqlite_where=_TO_SEND),)

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
    file_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    file_type: Mapped[str | None] = mapped_column(String(128), nullable=True)
    file_data: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    reaction: Mapped[str | None] = mapped_column(String(64), nullable=True)
    replaces: Mapped[str | None] = mapped_column(String(255), nullable=True)


class DisplayName(Base):
    """The name a person shows on the chat network, as last reported by it
    (a cache: the network is the source, the config's names win over it)."""

    __tablename__ = "display_names"

    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class BotState(Base):
    """Small named values that must survive restarts, e.g. the sync token."""

    __tablename__ = "bot_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class MeetingOverride(Base):
    """A chair's change to the calendar: skip, move or add a meeting.

    Meeting times are wall-clock times in the group's zone (as in the config
    and in RFC 5545 with TZID), so they are kept as local `YYYY-MM-DDTHH:MM`
    text: a meeting at 11:00 Brussels stays at 11:00 whatever the offset."""

    __tablename__ = "meeting_overrides"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    group_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    original_local: Mapped[str | None] = mapped_column(String(16), nullable=True)
    new_local: Mapped[str | None] = mapped_column(String(16), nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class AgendaItem(Base):
    """An item a member proposed for one meeting's agenda."""

    __tablename__ = "agenda_items"
    __table_args__ = (Index("ix_agenda_group_meeting", "group_id", "meeting_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    group_id: Mapped[str] = mapped_column(String(64))
    meeting_key: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    proposer: Mapped[str] = mapped_column(String(255))
    event_id: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    removed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class ScheduledPost(Base):
    """One automatic post (agenda, a reminder, the chase) per meeting, recorded
    in the transaction that queues it: the primary key makes it exactly once."""

    __tablename__ = "scheduled_posts"

    group_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    meeting_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    posted_at: Mapped[datetime] = mapped_column(DateTime)


class QuietMember(Base):
    """Members who asked not to be mentioned by the update chase."""

    __tablename__ = "quiet_members"

    group_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)


class MeetingSession(Base):
    """A live meeting run with !startmeeting … !endmeeting. `meeting_key` is the
    scheduled meeting's key, or `adhoc-…` for a meeting outside the calendar."""

    __tablename__ = "meeting_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    group_id: Mapped[str] = mapped_column(String(64), index=True)
    meeting_key: Mapped[str] = mapped_column(String(64))
    start_local: Mapped[str] = mapped_column(String(16))
    end_local: Mapped[str] = mapped_column(String(16))
    started_by: Mapped[str] = mapped_column(String(255))
    started_at: Mapped[datetime] = mapped_column(DateTime)
    closes_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    ended_by: Mapped[str | None] = mapped_column(String(255), nullable=True)


class MeetingNote(Base):
    """Something recorded for a meeting: topic, info, decision, presence, apology."""

    __tablename__ = "meeting_notes"
    __table_args__ = (
        Index("ix_notes_group_meeting", "group_id", "meeting_key"),
        Index("ix_notes_group_created", "group_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    group_id: Mapped[str] = mapped_column(String(64))
    meeting_key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(String(255))
    event_id: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    removed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class ActionItem(Base):
    """An action item; it follows its owners from meeting to meeting until done."""

    __tablename__ = "action_items"
    __table_args__ = (Index("ix_actions_group_status", "group_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    group_id: Mapped[str] = mapped_column(String(64))
    meeting_key: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    owners: Mapped[str] = mapped_column(Text)  # JSON list of Matrix ids or plain names
    due: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    closed_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    event_id: Mapped[str] = mapped_column(String(255), unique=True)


class MinutesPost(Base):
    """Where a meeting's minutes were posted, so `!minutes` again edits them."""

    __tablename__ = "minutes_posts"

    group_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    meeting_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    txn_ids: Mapped[str] = mapped_column(Text)  # JSON: outbox txn ids of the text parts, file last
    markdown: Mapped[str] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class Output(Base):
    """A position paper, guideline, … of a group, with where it stands now."""

    __tablename__ = "outputs"
    __table_args__ = (Index("ix_outputs_group_status", "group_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    group_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    due: Mapped[date | None] = mapped_column(Date, nullable=True)
    owner: Mapped[str | None] = mapped_column(String(255), nullable=True)
    link: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    event_id: Mapped[str] = mapped_column(String(255), unique=True)


class OutputChange(Base):
    """One step of an output (created, a status, a link), with who and when:
    the yearly report is built from this history."""

    __tablename__ = "output_changes"
    __table_args__ = (Index("ix_output_changes_output", "output_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    output_id: Mapped[int] = mapped_column(Integer)
    group_id: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    changed_by: Mapped[str] = mapped_column(String(255))
    changed_at: Mapped[datetime] = mapped_column(DateTime)
    event_id: Mapped[str] = mapped_column(String(255), unique=True)


# The tables of calendar feeds and mail, in their own module, on the same Base.
from storage.models_mail import FeedEvent as FeedEvent  # noqa: E402
from storage.models_mail import FeedToken as FeedToken  # noqa: E402
from storage.models_mail import MailMessage as MailMessage  # noqa: E402
from storage.models_mail import MailToken as MailToken  # noqa: E402
from storage.models_mail import WebLink as WebLink  # noqa: E402
from storage.models_mail import WebSession as WebSession  # noqa: E402
