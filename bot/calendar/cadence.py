"""Pure meeting-calendar arithmetic for a group's cadence.

Pure, so the scheduler, the handlers and the .ics feed agree on the same
meetings and tests pin "now": nothing here reads the clock or a database.

Model (RFC 5545): one-off ``dates`` are RDATEs, ``start`` + ``every`` is an
RRULE (UNTIL = ``until``), and the grid occurrences inside ``breaks`` become
EXDATEs, so the grid stays anchored to ``start``. Recurrence runs on naive
wall-clock local datetimes and is localised only afterwards, which is what
keeps 11:00 Brussels at 11:00 across DST. ``until`` and ``breaks`` limit the
recurring grid only: one-off dates and chairs' overrides are explicit.

DST policy, the one RFC 5545 section 3.3.5 and PEP 495 (``fold=0``) define:
a nonexistent local time (spring-forward gap) is read with the offset in force
before the gap, i.e. moved forward by the gap length (02:30 -> 03:30 CEST); an
ambiguous local time (autumn fold) is its first occurrence (summer time).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rruleset

from bot.calendar.overrides import Change, Override, check_local, resolve
from bot.calendar.status import MeetingStatus
from bot.calendar.timeparse import Every

KEY_FORMAT = "%Y-%m-%dT%H:%M"
# Longer than any UTC-offset jump: how far local order may lag behind UTC order.
_SLACK = timedelta(days=2)


def meeting_key(local_start: datetime) -> str:
    """The stable id of a meeting: its originally scheduled local start, to the minute."""
    return local_start.strftime(KEY_FORMAT)


def _check_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")


@dataclass(frozen=True)
class Cadence:
    """A group's meeting rule. Immutable and hashable, so its expansion can be cached."""

    timezone: ZoneInfo
    one_off: tuple[datetime, ...] = ()
    start: datetime | None = None
    every: Every | None = None
    duration: timedelta = timedelta(hours=1)
    breaks: tuple[tuple[date, date], ...] = ()
    until: date | None = None

    def __post_init__(self) -> None:
        for when in (*self.one_off, *([self.start] if self.start else [])):
            check_local(when, "cadence")
        object.__setattr__(self, "one_off", tuple(sorted(self.one_off)))
        object.__setattr__(self, "breaks", tuple((first, last) for first, last in self.breaks))
        if (self.start is None) != (self.every is None):
            raise ValueError("cadence: 'start' and 'every' must be given together")
        if self.duration <= timedelta(0):
            raise ValueError(f"cadence: duration must be positive, got {self.duration}")
        for first, last in self.breaks:
            if first > last:
                raise ValueError(f"cadence: break starts {first} after it ends {last}")
        if self.start and self.until and self.until < self.start.date():
            raise ValueError(f"cadence: until {self.until} is before start {self.start.date()}")


@dataclass(frozen=True)
class Meeting:
    """One occurrence; ``key`` is the original local start so a move keeps its identity."""

    key: str
    start: datetime
    end: datetime
    status: MeetingStatus = MeetingStatus.SCHEDULED
    original_start: datetime | None = None
    reason: str = ""

    @property
    def start_utc(self) -> datetime:
        return self.start.astimezone(UTC)

    @property
    def end_utc(self) -> datetime:
        return self.end.astimezone(UTC)

    @property
    def original_local(self) -> datetime:
        """The naive local start the key stands for, as an Override's ``original``."""
        return datetime.strptime(self.key, KEY_FORMAT)


def localize(local: datetime, tz: ZoneInfo) -> datetime:
    """Wall clock -> aware, normalised by the module's DST policy (gap forward, fold first)."""
    return local.replace(tzinfo=tz, fold=0).astimezone(UTC).astimezone(tz)


@lru_cache(maxsize=1024)
def _base(cadence: Cadence) -> rruleset:
    """Original local starts before overrides: RDATEs + RRULE - EXDATEs (breaks)."""
    rules = rruleset(cache=True)
    for when in cadence.one_off:
        rules.rdate(when)
    if cadence.start is not None and cadence.every is not None:
        until = datetime.combine(cadence.until, time.max) if cadence.until else None
        grid = rrule(
            cadence.every.freq, interval=cadence.every.interval, dtstart=cadence.start, until=until
        )
        rules.rrule(grid)
        for first, last in cadence.breaks:
            inside = grid.between(
                datetime.combine(first, time.min), datetime.combine(last, time.max), inc=True
            )
            for when in set(inside) - set(cadence.one_off):
                rules.exdate(when)
    return rules


def _meeting(cadence: Cadence, key: datetime, change: Change) -> Meeting:
    """Days of a duration are nominal (same wall time), hours/minutes exact: RFC 5545."""
    status, local_start, reason = change
    tz, duration = cadence.timezone, cadence.duration
    exact = duration - timedelta(days=duration.days)
    day_end = localize(local_start + timedelta(days=duration.days), tz)
    return Meeting(
        key=meeting_key(key),
        start=localize(local_start, tz),
        end=(day_end.astimezone(UTC) + exact).astimezone(tz),
        status=status,
        original_start=localize(key, tz) if status == MeetingStatus.MOVED else None,
        reason=reason,
    )


def _order(meeting: Meeting) -> tuple[datetime, str]:
    return meeting.start_utc, meeting.key


def _base_stream(
    cadence: Cadence, changes: Mapping[datetime, Change], lo: datetime
) -> Iterator[Meeting]:
    """Untouched base meetings from local ``lo`` on, lazily, in UTC order.

    Local and UTC order can only disagree within a DST jump, so holding back
    whatever is within ``_SLACK`` of the newest local time restores UTC order.
    """
    pending: list[tuple[datetime, str, Meeting]] = []
    for local in _base(cadence).xafter(lo, inc=True):
        if local in changes:
            continue
        meeting = _meeting(cadence, local, (MeetingStatus.SCHEDULED, local, ""))
        heapq.heappush(pending, (*_order(meeting), meeting))
        horizon = local.replace(tzinfo=UTC) - _SLACK
        while pending[0][0] <= horizon:
            yield heapq.heappop(pending)[2]
    while pending:
        yield heapq.heappop(pending)[2]


def _changed(cadence: Cadence, changes: Mapping[datetime, Change]) -> list[Meeting]:
    return sorted((_meeting(cadence, key, change) for key, change in changes.items()), key=_order)


def meetings(
    cadence: Cadence,
    *,
    after: datetime,
    count: int | None = None,
    until: datetime | None = None,
    overrides: Iterable[Override] = (),
    include_skipped: bool = False,
) -> list[Meeting]:
    """Meetings not yet over at ``after`` (end > after) and starting at or before
    ``until``, in start order; at most ``count`` that take place (skipped ones
    are listed with ``include_skipped`` but never counted)."""
    _check_aware(after, "after")
    if until is not None:
        _check_aware(until, "until")
    if count is None and until is None and cadence.start is not None and cadence.until is None:
        raise ValueError("meetings(): give count or until, this cadence never ends")
    changes = resolve(_base(cadence), overrides)
    lo = after.astimezone(cadence.timezone).replace(tzinfo=None) - cadence.duration - _SLACK
    stream = heapq.merge(_base_stream(cadence, changes, lo), _changed(cadence, changes), key=_order)
    found: list[Meeting] = []
    taking_place = 0
    for meeting in stream:
        if (count is not None and taking_place >= count) or (
            until is not None and meeting.start > until
        ):
            break
        skipped = meeting.status == MeetingStatus.SKIPPED
        if meeting.end <= after or (skipped and not include_skipped):
            continue
        found.append(meeting)
        taking_place += meeting.status != MeetingStatus.SKIPPED
    return found


def next_meeting(
    cadence: Cadence, now: datetime, overrides: Iterable[Override] = ()
) -> Meeting | None:
    """The meeting in progress at ``now``, else the next one; never a skipped one.

    In progress counts as current so that what is said during a meeting (an
    update, a question) still belongs to it; it stops being next at its end.
    """
    found = meetings(cadence, after=now, count=1, overrides=overrides)
    return found[0] if found else None


def meeting_by_date(
    cadence: Cadence, local_date: date, overrides: Iterable[Override] = ()
) -> Meeting | None:
    """What a chair means by a date: first a meeting taking place that local day,
    else one originally scheduled that day (skipped, or moved elsewhere)."""
    overrides = tuple(overrides)
    tz = cadence.timezone
    day = localize(datetime.combine(local_date, time.min), tz)
    next_day = localize(datetime.combine(local_date + timedelta(days=1), time.min), tz)
    around = meetings(cadence, after=day, until=next_day, overrides=overrides)
    for meeting in around:
        if meeting.start.date() == local_date:
            return meeting
    for meeting in _changed(cadence, resolve(_base(cadence), overrides)):
        if meeting.original_local.date() == local_date:
            return meeting
    return None
