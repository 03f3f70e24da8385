"""The rules of the group's record, each written once.

Minutes, `!endmeeting`'s summary, the report to WP2, the sub-group lines on
the parent's agenda, `!updates` and the live commands all ask these
functions, so the same meeting is never held in one and not in another, and
its attendance reads the same everywhere. The rules in words are in the
user guide (docs/guide.md, "The rules of the record"); this module is pure:
it reads plain values the runtime gathered, never storage or the clock.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Protocol

from bot.calendar.cadence import Meeting, MeetingStatus
from bot.meeting.group_calendar import OPEN_PERIOD, GroupCalendar

__all__ = [
    "RECORD_START",
    "MeetingFacts",
    "MeetingStatus",
    "NoteKind",
    "apologies",
    "counts_as_held",
    "is_held",
    "last_started",
    "meeting_for",
    "meeting_now",
    "present",
    "previous_end",
    "running_until",
    "was_ended",
    "was_recorded",
]

START_WINDOW = timedelta(hours=1)  # a meeting "runs" from an hour before its start
RECENT = timedelta(hours=12)  # items this long after a meeting still belong to it
RECORD_START = datetime(1970, 1, 1, tzinfo=UTC)  # "since the start of the record"
# How far back the last meeting is looked for: a short window first (cheap,
# and enough for a six-weekly cadence), then ever longer ones.
_SEARCH_BACK = (timedelta(days=120), timedelta(days=800), timedelta(days=3660))


class NoteKind(StrEnum):
    """What a stored note is. String values, as stored in the database."""

    HERE = "here"
    APOLOGY = "apology"
    TOPIC = "topic"
    INFO = "info"
    DECISION = "decision"


SPOKEN = (NoteKind.TOPIC, NoteKind.INFO, NoteKind.DECISION)  # words said in the meeting


class Item(StrEnum):
    """What a member sends that must land at one meeting."""

    NOTE = "note"  # a topic, note or decision
    ACTION = "action"
    UPDATE = "update"
    APOLOGY = "apology"


class NoteLike(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def author(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...


class ActionLike(Protocol):
    @property
    def created_by(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...


class SessionLike(Protocol):
    @property
    def meeting_key(self) -> str: ...
    @property
    def closes_at(self) -> datetime: ...
    @property
    def ended_at(self) -> datetime | None: ...


@dataclass(frozen=True)
class MeetingFacts:
    """What is stored for one meeting: its live session (if it ran live),
    its notes, the action items recorded for it (removed ones left out), and
    whether minutes were compiled for it."""

    meeting: Meeting
    session: SessionLike | None = None
    notes: Sequence[NoteLike] = field(default=())
    actions: Sequence[ActionLike] = field(default=())
    has_minutes: bool = False


def was_recorded(facts: MeetingFacts) -> bool:
    """Something was recorded: a live session, minutes, or a note other than
    apologies (apologies are sent before a meeting, whether it happens or not)."""
    noted = any(n.kind != NoteKind.APOLOGY for n in facts.notes)
    return facts.session is not None or facts.has_minutes or noted


def is_held(facts: MeetingFacts, now: datetime) -> bool:
    """Held: takes place by the calendar, has started, and something was recorded."""
    meeting = facts.meeting
    return counts_as_held(meeting.status, meeting.start, was_recorded(facts), now)


def counts_as_held(status: str, start: datetime, recorded: bool, now: datetime) -> bool:
    """`is_held` for a caller that has already asked `was_recorded` (the report)."""
    return status != MeetingStatus.SKIPPED and start <= now and recorded


def running_until(meeting: Meeting, session: SessionLike | None) -> datetime:
    """The end of the time a meeting ran: its scheduled end, or the end of its
    live session when later (a session still open runs until it closes)."""
    if session is None:
        return meeting.end
    return max(meeting.end, session.ended_at or session.closes_at)


def _ran(facts: MeetingFacts) -> tuple[datetime, datetime]:
    """When what is said counts as said in the meeting: from an hour before
    its start to the end of the time it ran."""
    meeting = facts.meeting
    return meeting.start - START_WINDOW, running_until(meeting, facts.session)


def present(facts: MeetingFacts) -> tuple[str, ...]:
    """Who was present, in the order they first showed it: `!here` (which
    `!startmeeting` says for the chair), or a topic, note, decision or action
    item recorded while the meeting ran."""
    since, until = _ran(facts)
    shown: list[tuple[datetime, str]] = []
    for note in facts.notes:
        kind = note.kind
        if kind == NoteKind.HERE or (kind in SPOKEN and since <= note.created_at <= until):
            shown.append((note.created_at, note.author))
    for action in facts.actions:
        if since <= action.created_at <= until:
            shown.append((action.created_at, action.created_by))
    return tuple(dict.fromkeys(person for _, person in sorted(shown, key=lambda s: s[0])))


def apologies(facts: MeetingFacts, there: Collection[str] | None = None) -> tuple[str, ...]:
    """Who sent apologies and was not present after all (presence wins);
    `there` is `present(facts)` when the caller has asked it already."""
    there = set(present(facts) if there is None else there)
    sent = (n.author for n in facts.notes if n.kind == NoteKind.APOLOGY)
    return tuple(person for person in dict.fromkeys(sent) if person not in there)


def last_started(calendar: GroupCalendar, now: datetime) -> Meeting | None:
    """The most recent meeting of the calendar that has started by `now`
    (skipped ones do not take place, so they are not it)."""
    return _last_before(calendar, now, inclusive=True)


def previous_end(calendar: GroupCalendar, meeting: Meeting) -> datetime:
    """Where "since the previous meeting" starts for `meeting`: the end of
    the last meeting before it that takes place by the calendar; when there
    is none, the start of the record."""
    earlier = _last_before(calendar, meeting.start, inclusive=False)
    return earlier.end if earlier is not None else RECORD_START


def _last_before(calendar: GroupCalendar, moment: datetime, *, inclusive: bool) -> Meeting | None:
    for span in _SEARCH_BACK:
        found = [
            m
            for m in calendar.between(moment - span, moment)
            if m.start < moment or (inclusive and m.start == moment)
        ]
        if found:
            return found[-1]
    return None


def meeting_for(
    item: Item, session: SessionLike | None, calendar: GroupCalendar, now: datetime
) -> str:
    """The key of the meeting a member's item belongs to.

    `session` is the group's last live session, open or ended. While it is
    open, everything goes to it. Otherwise notes and action items go to the
    live session that ended less than 12 hours ago (one held early too), or
    the meeting in progress or ended less than 12 hours ago (they are what
    was said there), else to the next meeting; updates, apologies and
    proposed agenda items go to the meeting `meeting_now` names."""
    if session is not None and session.ended_at is None:
        return session.meeting_key
    if item in (Item.NOTE, Item.ACTION):
        ended = session.ended_at if session is not None else None
        if ended is not None and timedelta(0) <= now - ended <= RECENT:  # one held early too
            return session.meeting_key
        recent = last_started(calendar, now)
        if recent is not None and now - recent.end <= RECENT:
            return recent.key
    current = meeting_now(calendar, session, now)
    return current.key if current is not None else OPEN_PERIOD


def meeting_now(
    calendar: GroupCalendar, session: SessionLike | None, now: datetime
) -> Meeting | None:
    """The meeting in progress, else the next one that takes place, where a
    meeting whose live session a chair has ended (`!endmeeting`) is over from
    then, not at its scheduled end. `session` is the group's last one."""
    meeting = calendar.next(now)
    if meeting is not None and was_ended(session, meeting.key, now):
        return calendar.next(meeting.end)
    return meeting


def was_ended(session: SessionLike | None, meeting_key: str, now: datetime | None = None) -> bool:
    """Whether the group's last live session is this meeting's and has been
    ended (by `now`, when given): the meeting is over, whatever the calendar
    says of its hour."""
    if session is None or session.meeting_key != meeting_key or session.ended_at is None:
        return False
    return now is None or session.ended_at <= now
