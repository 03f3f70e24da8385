"""A group's meetings as the bot sees them: the configured cadence plus the
chairs' stored overrides. The one place handlers, the scheduler and the CLI
get meetings from, so they never disagree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.actions import action_line
from bot.cadence import KEY_FORMAT, Meeting, Override, meeting_by_date, meetings, next_meeting
from bot.config import GroupConfig
from storage.repo import Repo
from storage.repo_schedule import StoredOverride

OPEN_PERIOD = "open"
HORIZON = timedelta(days=3660)


def _local(text: str | None) -> datetime | None:
    return None if text is None else datetime.strptime(text, KEY_FORMAT)


def to_override(stored: StoredOverride) -> Override:
    return Override(
        stored.kind, _local(stored.original_local), _local(stored.new_local), stored.reason
    )


@dataclass(frozen=True)
class GroupCalendar:
    group: GroupConfig
    overrides: tuple[Override, ...] = ()

    @property
    def cadence(self):
        return self.group.schedule.cadence

    def next(self, now: datetime) -> Meeting | None:
        """The meeting in progress, else the next one that takes place."""
        if self.cadence is None:
            return None
        return next_meeting(self.cadence, now, self.overrides)

    def upcoming(self, now: datetime, count: int, *, include_skipped: bool = True) -> list[Meeting]:
        if self.cadence is None:
            return []
        return meetings(
            self.cadence,
            after=now,
            count=count,
            until=now + HORIZON,
            overrides=self.overrides,
            include_skipped=include_skipped,
        )

    def between(self, start: datetime, end: datetime) -> list[Meeting]:
        if self.cadence is None:
            return []
        return meetings(self.cadence, after=start, until=end, overrides=self.overrides)

    def on_date(self, local_date: date) -> Meeting | None:
        if self.cadence is None:
            return None
        return meeting_by_date(self.cadence, local_date, self.overrides)

    def period(self, now: datetime) -> str:
        """Which meeting updates and proposed items sent now belong to."""
        meeting = self.next(now)
        return meeting.key if meeting else OPEN_PERIOD


async def open_action_lines(repo: Repo, group_id: str, today: date) -> list[str]:
    """Open action items as agenda lines, overdue ones marked."""
    return [action_line(a.id, a.owners, a.text, a.due, today) for a in await repo.actions(group_id)]


async def load_calendar(repo: Repo, group: GroupConfig) -> GroupCalendar:
    stored = await repo.overrides(group.id)
    return GroupCalendar(group, tuple(to_override(s) for s in stored))
