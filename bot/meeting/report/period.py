"""Which days `!report` and `allies-bot report` mean: a calendar year by
default, `2025`, or `<from> to <to>` in any date form the group writes.

A report looks back: a start written without a year is its latest
occurrence up to today ("1 January" in December is this year's), an end
without a year the first one on or after the start."""

from __future__ import annotations

import re
from datetime import date, datetime

from bot.calendar.dates import DateParseError, DateSettings, parse_when
from bot.meeting.report.data import Period

MAX_YEARS = 10
HOW = 'a year (2025) or two dates with "to" between them (1 January 2026 to 30 June 2026)'
_YEAR = re.compile(r"\d{4}")
# A year written out (2026) or as the last part of a numeric date (01.03.26).
_HAS_YEAR = re.compile(r"\b\d{4}\b|\b\d{1,2}[./-]\d{1,2}[./-]\d{2}\b")
_RANGE = re.compile(r"(?:from\s+)?(?P<first>.+?)\s+(?:to|until|–|-)\s+(?P<last>.+)", re.I)


class PeriodError(ValueError):
    """A period the report cannot cover; the message says why and what works."""


def year_period(year: int) -> Period:
    if not 1970 <= year <= 9998:
        raise PeriodError(f"{year} is not a year I can report on.")
    return Period(date(year, 1, 1), date(year, 12, 31))


def _day(text: str, settings: DateSettings, now: datetime) -> date:
    try:
        return parse_when(text, settings, now, allow_past=True).moment.date()
    except DateParseError as exc:
        raise PeriodError(str(exc)) from None


def parse_period(text: str, settings: DateSettings, now: datetime) -> Period:
    """The period `text` names; the current calendar year when it is empty."""
    text = " ".join(text.split())
    if not text:
        return year_period(now.astimezone(settings.timezone).year)
    if _YEAR.fullmatch(text):
        return year_period(int(text))
    match = _RANGE.fullmatch(text)
    if match is None:
        raise PeriodError(f'"{text[:80]}" is not a period I can read: please give {HOW}.')
    today = now.astimezone(settings.timezone).date()
    first = _day(match["first"], settings, now)
    last = _day(match["last"], settings, now)
    if not _HAS_YEAR.search(match["first"]) and first > today:
        first = _in_year(first, first.year - 1)  # "1 January" in a report: the last one
    if not _HAS_YEAR.search(match["last"]):
        last = _in_year(last, first.year)  # "… to 30 June": the first one after the start
        if last < first:
            last = _in_year(last, first.year + 1)
    return checked_period(first, last)


def _in_year(day: date, year: int) -> date:
    """The same day and month in `year` (29 February becomes the 28th)."""
    try:
        return day.replace(year=year)
    except ValueError:
        return day.replace(year=year, day=28)


def _text(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def checked_period(first: date, last: date) -> Period:
    if last < first:
        raise PeriodError(
            f"The period ends ({_text(last)}) before it starts ({_text(first)}). "
            "Please give the earlier date first."
        )
    if (last - first).days > MAX_YEARS * 366:
        raise PeriodError(f"A report covers at most {MAX_YEARS} years.")
    return Period(first, last)
