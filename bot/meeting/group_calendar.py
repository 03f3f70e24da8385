"""A group's meetings as the bot sees them: the configured cadence plus the
chairs' overrides. The one value handlers, the scheduler and the CLI get
meetings from, so they never disagree (`bot.runtime.calendars` loads it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.calendar.cadence import (
    Meeting,
    Override,
    meeting_by_date,
    meetings,
    next_meeting,
)
from bot.config import GroupConfig

OPEN_PERIOD = "open"
HORIZON = timedelta(days=3660)


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

    def between(
        self, start: datetime, end: datetime, *, include_skipped: bool = False
    ) -> list[Meeting]:
        if self.cadence is None:
            return []
        return meetings(
            self.cadence,
            after=start,
            until=end,
            overrides=self.overrides,
            include_skipped=include_skipped,
        )

    def on_date(self, local_date: date) -> Meeting | None:
        if self.cadence is None:
            return None
        return meeting_by_date(self.cadence, local_date, self.overrides)

    def period(self, now: datetime) -> str:
        """Which meeting updates and proposed items sent now belong to."""
        meeting = self.next(now)
        return meeting.key if meeting else OPEN_PERIOD
