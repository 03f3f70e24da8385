"""How a meeting's calendar entry changes over time: RFC 5545's SEQUENCE.

A calendar application keeps one entry per UID and replaces it only when
the new copy's SEQUENCE is higher (or equal with a later DTSTAMP). So every
change a subscriber must see, a move, a new time in the config, a skip or
its undoing, a new reason or call link, raises SEQUENCE by one, and the feed, the invitation mailed
with the agenda and anything later agree on it because all of them ask
`revise`. A change is noticed by comparing the meeting's fingerprint (its
times and status) with the one last published, whatever caused it.

Pure: the stored revisions and `now` come in, the new ones go out.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from bot.calendar.cadence import Meeting


@dataclass(frozen=True)
class Revision:
    """What subscribers were last shown of one meeting."""

    fingerprint: str
    sequence: int
    modified: datetime  # LAST-MODIFIED (and DTSTAMP): when that version appeared


def fingerprint(meeting: Meeting, context: str = "") -> str:
    """What a subscriber's copy depends on: start, end (UTC), whether it takes
    place, its reason, and `context` (what every entry shows: the group's
    name, the call link), kept short as a hash."""
    cancelled = "cancelled" if meeting.status == "skipped" else "confirmed"
    rest = hashlib.sha256(f"{meeting.reason}\0{context}".encode()).hexdigest()[:16]
    return f"{meeting.start_utc:%Y%m%dT%H%MZ}/{meeting.end_utc:%Y%m%dT%H%MZ}/{cancelled}/{rest}"


def revise(
    previous: Revision | None, meeting: Meeting, now: datetime, context: str = ""
) -> Revision:
    """The revision to publish now: the previous one while nothing changed,
    else one with SEQUENCE raised and LAST-MODIFIED now. A meeting seen
    for the first time starts at 0 when it is as scheduled, at 1 when it
    was already moved or skipped (an invitation of the original may be out)."""
    current = fingerprint(meeting, context)
    if previous is None:
        changed = meeting.status in ("moved", "skipped")
        return Revision(current, 1 if changed else 0, now)
    if previous.fingerprint == current:
        return previous
    return Revision(current, previous.sequence + 1, now)
