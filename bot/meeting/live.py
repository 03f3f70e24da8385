"""Which meeting a live command is about.

A chair's `!startmeeting` attaches to the scheduled meeting in progress or
starting within the hour, else opens an ad-hoc one. Items recorded without
a live session go to the meeting they most plausibly belong to, so that
`!minutes` also works for a meeting held without live mode.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.calendar.cadence import KEY_FORMAT, Meeting, localize
from bot.meeting.group_calendar import GroupCalendar

START_WINDOW = timedelta(hours=1)  # !startmeeting this early attaches to the scheduled meeting
RECENT = timedelta(hours=12)  # items this long after a meeting still belong to it
LOOKBACK = timedelta(days=120)
ADHOC_LENGTH = timedelta(hours=1)


class Session(Protocol):
    """What this module reads of a live session (storage's `StoredSession`
    has these fields), so the domain does not depend on storage."""

    @property
    def meeting_key(self) -> str: ...
    @property
    def start_local(self) -> str: ...
    @property
    def end_local(self) -> str: ...
    @property
    def ended_at(self) -> datetime | None: ...


def local_key(moment: datetime) -> str:
    return moment.replace(tzinfo=None).strftime(KEY_FORMAT)


def session_meeting(session: Session, timezone: ZoneInfo) -> Meeting:
    """The meeting a stored session stands for, with its own start and end."""
    start = localize(datetime.strptime(session.start_local, KEY_FORMAT), timezone)
    end = localize(datetime.strptime(session.end_local, KEY_FORMAT), timezone)
    status = "added" if session.meeting_key.startswith("adhoc-") else "scheduled"
    return Meeting(session.meeting_key, start, end, status)


def meeting_to_start(calendar: GroupCalendar, now: datetime) -> Meeting:
    """The scheduled meeting in progress or starting within the hour, else an
    ad-hoc meeting starting now."""
    upcoming = calendar.next(now)
    if upcoming is not None and upcoming.start - now <= START_WINDOW:
        return upcoming
    local = now.astimezone(calendar.group.timezone).replace(second=0, microsecond=0)
    return Meeting(f"adhoc-{local_key(local)}", local, local + ADHOC_LENGTH, "added")


def last_started(calendar: GroupCalendar, now: datetime) -> Meeting | None:
    """The most recent scheduled meeting that has started by `now`."""
    started = [m for m in calendar.between(now - LOOKBACK, now) if m.start <= now]
    return started[-1] if started else None


def item_meeting_key(session: Session | None, calendar: GroupCalendar, now: datetime) -> str:
    """Where an `!action`, `!decision` or `!info` goes: the live session; else
    the meeting in progress or just held; else the next meeting."""
    if session is not None and session.ended_at is None:
        return session.meeting_key
    recent = last_started(calendar, now)
    if recent is not None and now - recent.end <= RECENT:
        return recent.key
    return calendar.period(now)


def minutes_meeting(
    last_session: Session | None, calendar: GroupCalendar, now: datetime
) -> Meeting | None:
    """The current or most recent meeting: a live session or a scheduled one,
    whichever started last."""
    candidates = []
    if last_session is not None:
        candidates.append(session_meeting(last_session, calendar.group.timezone))
    if (scheduled := last_started(calendar, now)) is not None:
        candidates.append(scheduled)
    if not candidates:
        return None
    return max(candidates, key=lambda m: (m.start, m.status == "scheduled"))
