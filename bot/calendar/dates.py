"""Parsing the dates and times that chairs and members type in chat.

The bot acts on exactly what people meant or says why it can't; it never guesses. So
dateparser only reads the *words* of a date, and the risky parts are done here: the
time of day (dateparser gives "tomorrow at 9" the current time), numeric dates
("05/06/2025" is refused as ambiguous), the year of "23 March" (dateparser skips today),
weekdays and "end of month". Pure: ``now`` is a parameter. Messages are plain text
that quote the user's input: escape them before Markdown.

This module is the public face: it reads the time of day, localizes, checks the
range and splits "<date> <reason>". Which calendar day the remaining words mean is
``bot.calendar.dates_day``; the shared types defined there are re-exported here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from bot.calendar.dates_day import (
    EXAMPLES,
    DateParseError,
    DateSettings,
    Unreadable,
    day_name,
    parse_day,
    unreadable,
)

__all__ = [
    "EXAMPLES",
    "HORIZON_YEARS",
    "MAX_CHARS",
    "MAX_DATE_WORDS",
    "DateParseError",
    "DateSettings",
    "When",
    "describe",
    "parse_when",
    "split_when",
]

MAX_DATE_WORDS = 6  # split_when never reads a date longer than this
MAX_CHARS = 100  # longer text is not a date; keeps dateparser's work bounded
HORIZON_YEARS = 10  # further away is a typo ("05.12.2205"), not a plan

_TIME_RE = re.compile(
    r"(?<!\S)(?:(?P<at>at|um|à|@)\s*)?"
    r"(?:(?P<word>noon|midday|midnight|mittags?|midi|minuit)"
    r"|(?P<h>\d{1,2})(?:(?P<sep>[:h.])(?P<m>\d{2}))?\s?(?P<ap>[ap]\.?m\.?)?\s?(?P<suffix>uhr|h)?)"
    r"(?=$|[\s,;!?]|\.(?:\s|$))",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class When:
    """A parsed date: ``moment`` is aware, in the group's zone."""

    moment: datetime
    has_time: bool  # did the user give a time of day explicitly?
    text: str  # the part of the input that was consumed


def parse_when(
    text: str,
    settings: DateSettings,
    now: datetime,
    *,
    default_time: time | None = None,
    allow_past: bool = False,
) -> When:
    """Read all of ``text`` as a date with an optional time of day, or raise DateParseError.

    Without an explicit time the moment is at ``default_time`` (else 00:00) and
    ``has_time`` is False; such a date is past only if its whole day is.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    local_now = now.astimezone(settings.timezone)
    clean = re.sub(r"(?<=\d)T(?=\d)", " ", " ".join(text.split()))  # ISO 2026-12-05T11:00
    if not clean or len(clean) > MAX_CHARS:
        raise unreadable(clean[:MAX_CHARS])
    clock, date_text = _extract_time(clean)
    if clock is not None and not date_text:
        raise DateParseError(
            f'"{clean}" is a time without a day. Add the day, e.g. "tomorrow {clock:%H:%M}"'
            f' or "next Friday {clock:%H:%M}".'
        )
    day = parse_day(date_text, settings, local_now.date())
    if abs(day.year - local_now.year) > HORIZON_YEARS:  # also keeps UTC arithmetic in range
        raise DateParseError(
            f'"{clean}" reads as {day_name(day)}, more than {HORIZON_YEARS} years away.'
            " Please check the year."
        )
    moment = _localize(day, clock or default_time or time(0), settings.timezone)
    when = When(moment, clock is not None, text.strip())
    if not allow_past and (moment < local_now if when.has_time else day < local_now.date()):
        raise DateParseError(
            f'"{when.text}" is {describe(moment, with_time=when.has_time)}, which is in the'
            ' past. Please give a date from today on, e.g. "next Friday" or "in 2 weeks".'
        )
    return when


def split_when(
    text: str,
    settings: DateSettings,
    now: datetime,
    *,
    default_time: time | None = None,
    allow_past: bool = False,
) -> tuple[When, str]:
    """Split "<date> [reason]" into the longest leading run of words that is a date, and the rest.

    A longer prefix that is a date but a wrong one (past, ambiguous...) is reported
    rather than falling back to a shorter prefix: "5 December 2025 party" must not
    become 5 December of this year with the reason "2025 party".
    """
    ends = [match.end() for match in re.finditer(r"\S+", text)][:MAX_DATE_WORDS]
    for end in reversed(ends):
        try:
            when = parse_when(
                text[:end], settings, now, default_time=default_time, allow_past=allow_past
            )
        except Unreadable:
            continue
        return when, text[end:].strip()
    raise Unreadable(f'"{text.strip()}" does not start with a date. Start with e.g. {EXAMPLES}.')


def describe(moment: datetime, *, with_time: bool = True) -> str:
    """The echo users see, e.g. "Friday 5 December 2025, 11:00 CET (10:00 UTC)".

    Naming the zone and UTC lets members elsewhere check the bot's reading.
    """
    day = day_name(moment.date())
    if not with_time:
        return day
    if moment.tzinfo is None:
        raise ValueError("describe() needs an aware datetime to show a time")
    local = f"{day}, {moment:%H:%M} {moment.tzname()}"
    if moment.tzname() == "UTC":
        return local
    utc = moment.astimezone(UTC)
    on_day = "" if utc.date() == moment.date() else f" on {day_name(utc.date())}"
    return f"{local} ({utc:%H:%M} UTC{on_day})"


def _extract_time(text: str) -> tuple[time | None, str]:
    """Find the one time of day in ``text``; return it and the text without it."""
    found = [
        (match, clock) for match in _TIME_RE.finditer(text) if (clock := _clock(match)) is not None
    ]
    if not found:
        return None, text
    if len(found) > 1:
        times = " and ".join(f'"{match[0].strip()}"' for match, _ in found)
        raise Unreadable(f"I found more than one time of day ({times}). Please give one.")
    match, clock = found[0]
    return clock, " ".join(f"{text[: match.start()]} {text[match.end() :]}".split()).strip(",; ")


def _clock(match: re.Match[str]) -> time | None:
    """The time a regex match stands for, or None if it is not a time after all.

    A bare number is a day ("5 December"), and "9.30" is left to be read as a date
    (and refused), because dotted numbers are dates in Europe; "9.30 Uhr" is a time.
    """
    if match["word"]:
        return time(0) if match["word"].lower() in ("midnight", "minuit") else time(12)
    sep, ampm, suffix = match["sep"], match["ap"], (match["suffix"] or "").lower()
    if (sep == "." and suffix != "uhr") or not (sep or ampm or suffix or match["at"]):
        return None
    hour, minute = int(match["h"]), int(match["m"] or 0)
    if ampm and 1 <= hour <= 12:
        hour = hour % 12 + (12 if ampm[0].lower() == "p" else 0)
    elif ampm or hour > 23 or minute > 59:
        raise DateParseError(
            f'"{match[0].strip()}" is not a time of day. Write e.g. 14:00 or 9:30.'
        )
    return time(hour, minute)


def _localize(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """The aware moment, refusing local times that a clock change skips or repeats."""
    naive = datetime.combine(day, clock)
    moment = naive.replace(tzinfo=zone)
    if moment.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
        change = "skip it"
    elif moment.utcoffset() != moment.replace(fold=1).utcoffset():
        change = "go back and it happens twice"
    else:
        return moment
    raise DateParseError(
        f"{clock:%H:%M} on {day_name(day)} in {zone}: the clocks {change}."
        " Please pick another time."
    )
