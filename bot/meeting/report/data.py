"""What a report is compiled from: plain values the caller gathered.

Times are local, in the group's zone (a report speaks in days; only "has it
started" needs the time); people are ids, named by `names` when written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from bot.meeting.people import Names


@dataclass(frozen=True)
class Period:
    """The days a report covers, both ends included."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError("a period must not end before it starts")

    @property
    def label(self) -> str:
        whole_year = (self.first.month, self.first.day, self.last.month, self.last.day)
        if whole_year == (1, 1, 12, 31) and self.first.year == self.last.year:
            return str(self.first.year)
        return f"{_day(self.first)} – {_day(self.last)}"

    def __contains__(self, day: date) -> bool:
        return self.first <= day <= self.last


def _day(day: date) -> str:
    return f"{day.day} {day:%b} {day.year}"


@dataclass(frozen=True)
class MeetingRecord:
    """One meeting of the period. `status` is a `MeetingStatus` (`adhoc` for
    a live meeting outside the calendar); `recorded`, `present` and
    `apologies` are the record's rules (`bot.meeting.record`) applied to it."""

    key: str
    start: datetime
    status: str
    recorded: bool
    reason: str = ""
    original_start: datetime | None = None
    present: frozenset[str] = frozenset()
    apologies: frozenset[str] = frozenset()
    decisions: int = 0  # recorded in this meeting
    actions_opened: int = 0  # action items recorded for this meeting

    @property
    def day(self) -> date:
        return self.start.date()


@dataclass(frozen=True)
class ActionRecord:
    id: int
    opened: date
    status: str  # open, done, dropped
    closed: date | None = None
    due: date | None = None


@dataclass(frozen=True)
class OutputStep:
    status: str
    day: date


@dataclass(frozen=True)
class OutputRecord:
    """An output with its history, oldest step first (the first is its creation)."""

    id: int
    kind: str
    title: str
    steps: tuple[OutputStep, ...]
    link: str | None = None


@dataclass(frozen=True)
class SubgroupRecord:
    name: str
    held: int
    unrecorded: int
    skipped: int


@dataclass(frozen=True)
class ReportData:
    group_name: str
    period: Period
    now: datetime  # aware, in the group's zone: what has started by now happened
    roster: Mapping[str, str]  # person id -> alliance
    meetings: tuple[MeetingRecord, ...]
    updates: Mapping[str, int]  # alliance -> updates sent in the period
    decisions: tuple[tuple[date, str], ...]
    actions: tuple[ActionRecord, ...]
    outputs: tuple[OutputRecord, ...]
    subgroups: tuple[SubgroupRecord, ...] = ()
    names: Names = field(default_factory=Names)
    prepared_by: str = ""  # how the report names whoever asked for it

    @property
    def today(self) -> date:
        return self.now.date()

    @property
    def alliances(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.roster.values()), key=str.casefold))
