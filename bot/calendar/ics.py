"""Render a group's meetings as an RFC 5545 calendar feed (METHOD:PUBLISH).

Why icalendar: it escapes TEXT values, folds lines at 75 octets without
splitting UTF-8 sequences and ends them with CRLF, all easy to get subtly wrong
by hand, and the tests parse our output back with the same library.

Why our own VTIMEZONE rather than ``icalendar.Timezone.from_tzid``: that lists
every transition as an RDATE, a form Outlook desktop is reported to misread
(events shifted by an hour), and it dates the DAYLIGHT onset in the new offset
where RFC 5545 wants the old one. Google and Outlook themselves publish yearly
RRULEs (``BYMONTH=3;BYDAY=-1SU``), so we derive the zone's transitions from
zoneinfo and emit one RRULE observance per rule when every year follows the
same rules, falling back to RDATE lists for zones that do not.

Pure: ``now`` (for DTSTAMP) is a parameter; nothing here reads the clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple
from zoneinfo import ZoneInfo

from bot.calendar.cadence import Meeting
from bot.calendar.revisions import Revision, revise

if TYPE_CHECKING:
    # imported where a calendar is rendered: the running bot renders one only
    # for a feed, a mail or `!calendar`, and the import is a restart's 30 ms
    from icalendar import Event, Timezone, TimezoneDaylight, TimezoneStandard

PRODID = "-//allies-bot//meeting calendar//EN"
REFRESH = timedelta(hours=6)  # how often subscribers should re-fetch the feed
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


class _Transition(NamedTuple):
    """One change of UTC offset (or zone abbreviation), as VTIMEZONE needs it."""

    onset: datetime  # naive local time of the change, read in offset_from (RFC 5545)
    offset_from: timedelta
    offset_to: timedelta
    name: str
    is_dst: bool

    @property
    def rule(self) -> tuple[object, ...]:
        """What must repeat every year for a yearly RRULE to describe this change."""
        onset = self.onset
        last = (onset + timedelta(days=7)).month != onset.month
        nth = -1 if last else (onset.day - 1) // 7 + 1
        byday = f"{nth}{_WEEKDAYS[onset.weekday()]}"
        return (*self[1:], onset.month, byday, onset.time())


def _state(instant: datetime, tz: ZoneInfo) -> tuple[timedelta | None, str | None, bool]:
    local = instant.astimezone(tz)
    return local.utcoffset(), local.tzname(), bool(local.dst())


def _transition_between(lo: datetime, tz: ZoneInfo) -> _Transition:
    """Bisect the day after ``lo`` down to the second the new state begins."""
    before = _state(lo, tz)
    low, high = 0, 86_400
    while high - low > 1:
        middle = (low + high) // 2
        if _state(lo + timedelta(seconds=middle), tz) == before:
            low = middle
        else:
            high = middle
    instant = lo + timedelta(seconds=high)
    offset_to, name, is_dst = _state(instant, tz)
    offset_from = before[0] or timedelta(0)
    onset = (instant + offset_from).replace(tzinfo=None)
    return _Transition(onset, offset_from, offset_to or timedelta(0), name or "", is_dst)


@lru_cache(maxsize=64)
def _transitions(tzid: str, first_year: int, last_year: int) -> tuple[_Transition, ...]:
    """All changes in the given years, found by daily probes (offsets change rarely)."""
    tz = ZoneInfo(tzid)
    probe, end = datetime(first_year, 1, 1, tzinfo=UTC), datetime(last_year + 1, 1, 1, tzinfo=UTC)
    found = []
    while probe < end:
        following = probe + timedelta(days=1)
        if _state(probe, tz) != _state(following, tz):
            found.append(_transition_between(probe, tz))
        probe = following
    return tuple(found)


def _observance(change: _Transition) -> TimezoneStandard | TimezoneDaylight:
    from icalendar import TimezoneDaylight, TimezoneStandard

    part = TimezoneDaylight() if change.is_dst else TimezoneStandard()
    part.add("dtstart", change.onset)
    part.add("tzoffsetfrom", change.offset_from)
    part.add("tzoffsetto", change.offset_to)
    part.add("tzname", change.name)
    return part


def _group(
    changes: Iterable[_Transition], key: Callable[[_Transition], tuple[object, ...]]
) -> dict[tuple[object, ...], list[_Transition]]:
    groups: dict[tuple[object, ...], list[_Transition]] = {}
    for change in changes:
        groups.setdefault(key(change), []).append(change)
    return groups


def vtimezone(tzid: str, first_year: int, last_year: int) -> Timezone:
    """A VTIMEZONE for ``tzid`` correct from 1 January ``first_year`` to the end of
    ``last_year``. Transitions are scanned from the year before, so that the start
    of ``first_year`` already lies after an onset of the rules that apply to it."""
    from icalendar import Timezone

    zone = Timezone()
    zone.add("tzid", tzid)
    zone.add("x-lic-location", tzid)
    scan_from = first_year - 1
    changes = _transitions(tzid, scan_from, last_year)
    if not changes:  # no change in range: one fixed observance
        offset, name, _ = _state(datetime(scan_from, 1, 1, tzinfo=UTC), ZoneInfo(tzid))
        fixed = offset or timedelta(0)
        zone.add_component(
            _observance(_Transition(datetime(scan_from, 1, 1), fixed, fixed, name or "", False))
        )
        return zone
    by_rule = _group(changes, lambda change: change.rule)
    years = last_year - scan_from + 1
    yearly = all(
        len({c.onset.year for c in same}) == len(same) == years for same in by_rule.values()
    )
    # Irregular zones: one observance per (offsets, name), onsets listed as RDATEs.
    groups = by_rule if yearly else _group(changes, lambda change: tuple(change[1:]))
    for same in groups.values():
        part = _observance(same[0])
        if yearly:
            rule = {"freq": "yearly", "bymonth": same[0].onset.month, "byday": same[0].rule[-2]}
            part.add("rrule", rule)
        elif len(same) > 1:
            part.add("rdate", [change.onset for change in same[1:]])
        zone.add_component(part)
    return zone


def _description(
    meeting: Meeting, group_name: str, call_link: str | None, agenda_link: str | None
) -> str:
    lines = [f"{group_name} meeting."]
    if meeting.status == "skipped":
        lines.append("This meeting is cancelled.")
    elif meeting.status == "moved" and meeting.original_start is not None:
        was = meeting.original_start
        lines.append(f"Moved from {was:%a} {was.day} {was:%b %Y %H:%M}.")
    if meeting.reason:
        lines.append(meeting.reason)
    if call_link:
        lines.append(f"Join: {call_link}")
    if agenda_link:
        lines.append(f"Agenda: {agenda_link}")
    return "\n".join(lines)


def event_uid(group_id: str, meeting: Meeting) -> str:
    """One per meeting for good: its key is its original start, so a move keeps it."""
    return f"{meeting.key}-{group_id}@allies-bot"


class Entry(NamedTuple):
    """One meeting as a calendar entry: the meeting, its revision (SEQUENCE and
    when it last changed, `bot.calendar.revisions`) and its agenda's link."""

    meeting: Meeting
    revision: Revision
    agenda_link: str | None = None


def _event(entry: Entry, group_id: str, group_name: str, call_link: str | None) -> Event:
    """Skipped meetings stay in the feed as CANCELLED so subscribers drop them;
    SEQUENCE is the revision's, raised by every change subscribers must see."""
    meeting, revision = entry.meeting, entry.revision
    from icalendar import Event

    event = Event()
    event.add("uid", event_uid(group_id, meeting))
    cancelled = meeting.status == "skipped"
    event.add("summary", f"{'Cancelled: ' if cancelled else ''}{group_name} meeting")
    event.add("dtstart", meeting.start)
    event.add("dtend", meeting.end)
    event.add("sequence", revision.sequence)
    event.add("dtstamp", revision.modified.astimezone(UTC))
    event.add("last-modified", revision.modified.astimezone(UTC))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if call_link:
        event.add("location", call_link)
        event.add("url", call_link)
    event.add("description", _description(meeting, group_name, call_link, entry.agenda_link))
    return event


def render_ics(
    group_id: str,
    group_name: str,
    meetings: Iterable[Meeting],
    *,
    call_link: str | None = None,
    now: datetime,
) -> str:
    """A calendar file of these meetings as they stand now (`!ics`): each
    entry at its first revision, dated now."""
    if now.tzinfo is None:
        raise ValueError(f"now must be a timezone-aware datetime, got {now!r}")
    entries = [Entry(m, revise(None, m, now)) for m in meetings]
    return render_entries(group_id, group_name, entries, call_link=call_link)


def render_entries(
    group_id: str,
    group_name: str,
    entries: Iterable[Entry],
    *,
    call_link: str | None = None,
    organizer: str | None = None,
) -> str:
    """The whole calendar as text (CRLF line ends). Meeting times are written
    in their own zone with TZID, plus a VTIMEZONE per zone used. With an
    `organizer` (an address) it is an invitation (METHOD:REQUEST), as mailed
    with the agenda; without, a published feed (METHOD:PUBLISH)."""
    entries = list(entries)
    meetings = [entry.meeting for entry in entries]
    from icalendar import Calendar, vDuration

    calendar = Calendar()
    for name, value in (
        ("prodid", PRODID),
        ("version", "2.0"),
        ("calscale", "GREGORIAN"),
        ("method", "REQUEST" if organizer else "PUBLISH"),
        ("name", group_name),
        ("x-wr-calname", group_name),
        ("x-published-ttl", vDuration(REFRESH)),  # Outlook's name for REFRESH-INTERVAL
    ):
        calendar.add(name, value)
    calendar.add("refresh-interval", vDuration(REFRESH), parameters={"VALUE": "DURATION"})
    zones = sorted({m.start.tzinfo.key for m in meetings if isinstance(m.start.tzinfo, ZoneInfo)})
    if zones:
        first = min(m.start.year for m in meetings)
        last = max(m.end.year for m in meetings)
        for tzid in zones:
            calendar.add_component(vtimezone(tzid, first, last))
    for entry in entries:
        event = _event(entry, group_id, group_name, call_link)
        if organizer:
            event.add("organizer", f"mailto:{organizer}", parameters={"CN": group_name})
        calendar.add_component(event)
    return calendar.to_ical().decode("utf-8")
