"""A group's meetings as the bot sees them: the configured cadence plus the
chairs' overrides. The one value handlers, the scheduler and the CLI get
meetings from, so they never disagree (`bot.runtime.calendars` loads it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.calendar.cadence import (
    Meeting,
    MeetingStatus,
    Override,
    localize,
    meeting_by_date,
    meetings,
    next_meeting,
)
from bot.config import GroupConfig

OPEN_PERIOD = "open"
HORIZON = timedelta(days=3660)
MOVE_REACH = timedelta(days=800)  # how far a moved meeting is looked for from its first date


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

    def meetings_on(self, local_date: date) -> list[Meeting]:
        """Every meeting that local day, in start order: those starting then
        (skipped ones included) and those moved away from it, which a chair
        may still name by their original date."""
        if self.cadence is None:
            return []
        zone = self.cadence.timezone
        day = localize(datetime.combine(local_date, time.min), zone)
        next_day = localize(datetime.combine(local_date + timedelta(days=1), time.min), zone)
        around = self.between(day - timedelta(days=1), next_day, include_skipped=True)
        found = {m.key: m for m in around if m.start.date() == local_date}
        moved_from_here = {
            o.original for o in self.overrides if o.kind == "move" and o.original is not None
        }
        if any(original.date() == local_date for original in moved_from_here):
            for meeting in self.between(day - MOVE_REACH, day + MOVE_REACH, include_skipped=True):
                moved = meeting.status == MeetingStatus.MOVED
                if moved and meeting.original_local.date() == local_date:
                    found.setdefault(meeting.key, meeting)
        return sorted(found.values(), key=lambda m: m.start)

    def period(self, now: datetime) -> str:
        """Which meeting updates and proposed items sent now belong to."""
        meeting = self.next(now)
        return meeting.key if meeting else OPEN_PERIOD
