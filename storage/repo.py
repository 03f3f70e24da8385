"""Repository functions: the only way handlers and the core reach the database."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import BotState, DisplayName, ProcessedEvent, Update
from storage.repo_feed import FeedRepo
from storage.repo_mail import MailRepo
from storage.repo_meetings import MeetingRepo
from storage.repo_outbox import OutboxRepo
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


# The statements every command runs, built once (the outbox's are in
# storage.repo_outbox): a statement built per call
# costs its construction and its cache key each time (about a third of the
# database layer's CPU per command), and these never change. On the tables,
# not the mapped classes: the ORM's bulk machinery has nothing to add here.
_PROCESSED = ProcessedEvent.__table__
_UPDATES = Update.__table__
IS_PROCESSED = select(_PROCESSED.c.event_id).where(_PROCESSED.c.event_id == bindparam("event_id"))
MARK_PROCESSED = insert(_PROCESSED)
ADD_UPDATE = insert(_UPDATES).returning(_UPDATES.c.id)


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
    OutboxRepo,
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
