"""Which meeting a live command is about.

A chair's `!startmeeting` attaches to the scheduled meeting in progress or
starting within the hour, else opens an ad-hoc one; `!minutes` takes the
current or most recent meeting. Where other items go is a rule of the
record (`bot.meeting.record.meeting_for`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.calendar.cadence import KEY_FORMAT, Meeting, MeetingStatus, localize
from bot.meeting.group_calendar import GroupCalendar
from bot.meeting.record import START_WINDOW, SessionLike, last_started

ADHOC_LENGTH = timedelta(hours=1)


class Session(SessionLike, Protocol):
    """What this module reads of a live session (storage's `StoredSession`
    has these fields), so the domain does not depend on storage."""

    @property
    def start_local(self) -> str: ...
    @property
    def end_local(self) -> str: ...


def local_key(moment: datetime) -> str:
    return moment.replace(tzinfo=None).strftime(KEY_FORMAT)


def session_meeting(session: Session, timezone: ZoneInfo) -> Meeting:
    """The meeting a stored session stands for, with its own start and end."""
    start = localize(datetime.strptime(session.start_local, KEY_FORMAT), timezone)
    end = localize(datetime.strptime(session.end_local, KEY_FORMAT), timezone)
    adhoc = session.meeting_key.startswith("adhoc-")
    return Meeting(
        session.meeting_key, start, end, MeetingStatus.ADHOC if adhoc else MeetingStatus.SCHEDULED
    )


def meeting_to_start(calendar: GroupCalendar, now: datetime) -> Meeting:
    """The scheduled meeting in progress or starting within the hour, else an
    ad-hoc meeting starting now."""
    upcoming = calendar.next(now)
    if upcoming is not None and upcoming.start - now <= START_WINDOW:
        return upcoming
    local = now.astimezone(calendar.group.timezone).replace(second=0, microsecond=0)
    return Meeting(f"adhoc-{local_key(local)}", local, local + ADHOC_LENGTH, MeetingStatus.ADHOC)


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
    return max(candidates, key=lambda m: (m.start, m.status == MeetingStatus.SCHEDULED))
