"""Parsing the dates and times that chairs and members type in chat.

People type "next Friday 11:00", "05.12.2025", "in 2 weeks" or "5. Dezember". The bot
must act on exactly what they meant or say why it can't: it never guesses. So
dateparser only reads the *words* of a date, and the risky parts are done here:
the time of day is found by our own regex (dateparser gives "tomorrow at 9" the
current time of day), all-numeric dates are read here (so "05/06/2025" is refused
as ambiguous, not read one way), year-less dates get their year here (dateparser
sends "23 March" typed on 23 March to next year), and weekdays and "end of month"
have rules of their own. Pure: no I/O, no clock reads; ``now`` is a parameter.
Messages are plain text that quotes the user's input: escape them before Markdown.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from dateparser.date import DateData, DateDataParser
from dateparser.languages.loader import default_loader

MAX_DATE_WORDS = 6  # split_when never reads a date longer than this
MAX_CHARS = 100  # longer text is not a date; keeps dateparser's work bounded
HORIZON_YEARS = 10  # further ahead is a typo ("05.12.2205"), not a plan
EXAMPLES = '"5 December", "05.12.2026", "next Friday 11:00" or "in 2 weeks"'
_MONTHS = "January February March April May June July August September October November December"
_MONTH_NAMES = tuple(_MONTHS.split())
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_LOCALE_KEYS = tuple(name.lower() for name in _WEEKDAYS + _MONTH_NAMES)

_TIME_RE = re.compile(
    r"(?<!\S)(?:(?P<at>at|um|à|@)\s*)?"
    r"(?:(?P<word>noon|midday|midnight|mittags?|midi|minuit)"
    r"|(?P<h>\d{1,2})(?:(?P<sep>[:h.])(?P<m>\d{2}))?\s?(?P<ap>[ap]\.?m\.?)?\s?(?P<suffix>uhr|h)?)"
    r"(?=$|[\s,;!?]|\.(?:\s|$))",
    re.IGNORECASE,
)
_ISO_RE = re.compile(r"(\d{4})([-./])(\d{1,2})\2(\d{1,2})")
_NUMERIC_RE = re.compile(r"(\d{1,2})([-./])(\d{1,2})(?:\2(\d{4}|\d{2}))?\.?")
_DIGITS_RE = re.compile(r"[\d./-]+")
_WEEKDAY_RE = re.compile(
    r"(?:(?:next|this|coming|on|nächste[nr]?|kommende[nr]?|diese[nr]?|am|ce|le)\s+)?"
    r"(?P<name>[^\W\d_]+)\.?(?:\s+prochain)?",
    re.IGNORECASE,
)
_MONTH_END_RE = re.compile(
    r"(?:the\s+)?end\s+of\s+(?P<en>next\s+|this\s+|the\s+)?month|month[\s-]?end"
    r"|ende\s+(?:des\s+|dieses\s+)?(?P<de>nächsten\s+)?monats|monatsende"
    r"|fin\s+d[ue]\s+mois(?P<fr>\s+prochain)?",
    re.IGNORECASE,
)
_PERIOD_WORDS = frozenset("week weekend month year woche wochenende monat jahr semaine mois année".split())
_QUALIFIERS = frozenset(
    "next this coming the nächste nächsten nächster nächstes kommende kommenden diese diesen"
    " dieses la le ce cette prochain prochaine ci end".split()
)


class DateParseError(ValueError):
    """A date the bot will not act on; ``str(exc)`` tells the user why and what works."""


class _Unreadable(DateParseError):
    """Not a date at all (as opposed to a date that is past, ambiguous or invalid).

    ``split_when`` uses the difference: it tries shorter prefixes only after this one.
    """


@dataclass(frozen=True)
class DateSettings:
    """A group's way of writing dates: its zone, its chat languages, its numeric order."""

    timezone: ZoneInfo
    languages: tuple[str, ...] = ("en",)
    date_order: str = "DMY"

    def __post_init__(self) -> None:
        # Fail when the config is loaded, not on the first chat message.
        object.__setattr__(self, "languages", tuple(self.languages))
        if self.date_order not in ("DMY", "MDY", "YMD"):
            raise ValueError(f"date_order must be DMY, MDY or YMD, got {self.date_order!r}")
        if not self.languages:
            raise ValueError("languages must name at least one language, e.g. ['en']")
        for language in self.languages:
            default_loader.get_locale(language)  # ValueError for an unknown code


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
    ``has_time`` is False. A date-only value is past only if its whole day is.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    today_now = now.astimezone(settings.timezone)
    clean = " ".join(text.split())
    if not clean:
        raise _Unreadable(f"Please give a date, e.g. {EXAMPLES}.")
    if len(clean) > MAX_CHARS:
        raise _Unreadable(f"That is too long to be a date. Please write e.g. {EXAMPLES}.")
    clock, date_text = _extract_time(clean)
    if not date_text:
        raise DateParseError(
            f'"{clean}" is a time without a day. Add the day, e.g. "tomorrow {clock:%H:%M}"'
            f' or "next Friday {clock:%H:%M}".'
        )
    day = _parse_day(date_text, settings, today_now.date())
    moment = _localize(day, clock or default_time or time(0), settings.timezone)
    when = When(moment, clock is not None, text.strip())
    _check_range(when, today_now, allow_past)
    return when


def split_when(text: str, settings: DateSettings, now: datetime, **kw: object) -> tuple[When, str]:
    """Split "<date> [reason]": the longest leading run of words that is a date, and the rest.

    A longer prefix that is a date but a wrong one (past, ambiguous...) is reported
    rather than falling back to a shorter prefix: "5 December 2025 party" must not
    become 5 December of this year with the reason "2025 party".
    """
    spans = [match.span() for match in re.finditer(r"\S+", text)][:MAX_DATE_WORDS]
    for count in range(len(spans), 0, -1):
        try:
            when = parse_when(text[: spans[count - 1][1]], settings, now, **kw)  # type: ignore[arg-type]
        except _Unreadable:
            continue
        count = _drop_filler(text, spans, count, when, settings, now, kw)
        end = spans[count - 1][1]
        return When(when.moment, when.has_time, text[spans[0][0] : end]), text[end:].strip()
    raise _Unreadable(f'"{text.strip()}" does not start with a date. Start with e.g. {EXAMPLES}.')


def describe(moment: datetime, *, with_time: bool = True) -> str:
    """The echo users see, e.g. "Friday 5 December 2025, 11:00 CET (10:00 UTC)".

    Naming the zone and UTC lets members in other zones check the bot's reading.
    """
    day = _day_name(moment.date())
    if not with_time:
        return day
    if moment.tzinfo is None:
        raise ValueError("describe() needs an aware datetime to show a time")
    local = f"{day}, {moment:%H:%M} {moment.tzname()}"
    utc = moment.astimezone(UTC)
    if moment.tzname() == "UTC":
        return local
    on_day = "" if utc.date() == moment.date() else f" on {_day_name(utc.date())}"
    return f"{local} ({utc:%H:%M} UTC{on_day})"


def _day_name(day: date) -> str:
    """English names on purpose: strftime's %A/%B follow the process locale."""
    return f"{_WEEKDAYS[day.weekday()]} {day.day} {_MONTH_NAMES[day.month - 1]} {day.year}"


def _drop_filler(text, spans, count, when, settings, now, kw) -> int:  # type: ignore[no-untyped-def]
    """Give back trailing words that change nothing ("tomorrow the team" -> "tomorrow").

    Words with digits stay: "5 December 2026" equals "5 December" in 2026 but the
    year is still part of the date.
    """
    while count > 1 and not any(ch.isdigit() for ch in text[slice(*spans[count - 1])]):
        try:
            shorter = parse_when(text[: spans[count - 2][1]], settings, now, **kw)
        except DateParseError:
            break
        if (shorter.moment, shorter.has_time) != (when.moment, when.has_time):
            break
        count -= 1
    return count


def _extract_time(text: str) -> tuple[time | None, str]:
    """Find the one time of day in ``text``; return it and the text without it."""
    found = [(match, clock) for match in _TIME_RE.finditer(text) if (clock := _clock(match))]
    if not found:
        return None, text
    if len(found) > 1:
        times = " and ".join(f'"{match[0].strip()}"' for match, _ in found)
        raise DateParseError(f"I found more than one time of day ({times}). Please give one.")
    match, clock = found[0]
    rest = f"{text[: match.start()]} {text[match.end() :]}"
    return clock, " ".join(rest.split()).strip(" ,;")


def _clock(match: re.Match[str]) -> time | None:
    """The time a regex match stands for, or None if it is not a time after all.

    A bare number is a day ("5 December"), and "9.30" is read as a date (and then
    refused), because dotted numbers are dates in Europe; "9.30 Uhr" is a time.
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
        raise DateParseError(f'"{match[0].strip()}" is not a time of day. Write e.g. 14:00 or 9:30.')
    return time(hour, minute)


def _parse_day(text: str, settings: DateSettings, today: date) -> date:
    """The calendar day of a date text that has no time of day left in it."""
    for rule in (_numeric_date, _month_end, _weekday):
        if (day := rule(text, settings, today)) is not None:
            return day
    words = text.lower().replace("-", " ").split()
    if set(words) & _PERIOD_WORDS and set(words) <= _PERIOD_WORDS | _QUALIFIERS:
        raise DateParseError(
            f'"{text}" is a whole period, not a day. Name the day, e.g. "next Friday",'
            ' "in 1 week" or "end of month".'
        )
    return _dateparser_day(text, settings, today)


def _numeric_date(text: str, settings: DateSettings, today: date) -> date | None:
    """All-numeric dates: ISO is never ambiguous, dots follow the group's order,
    slashes and dashes are refused when day and month could be swapped."""
    if match := _ISO_RE.fullmatch(text):
        return _make_date(text, int(match[1]), int(match[3]), int(match[4]), today)
    if (match := _NUMERIC_RE.fullmatch(text)) is None:
        if _DIGITS_RE.fullmatch(text):
            raise _Unreadable(f'"{text}" is not a date I can read. Please write e.g. {EXAMPLES}.')
        return None
    first, second, year_text = int(match[1]), int(match[3]), match[4]
    year = None if year_text is None else int(year_text) + (2000 if len(year_text) == 2 else 0)
    if match[2] == ".":
        day, month = (second, first) if settings.date_order == "MDY" else (first, second)
    elif first != second and first <= 12 and second <= 12:
        raise _ambiguous(text, first, second, year, settings)
    else:
        day, month = (second, first) if second > 12 else (first, second)
    return _make_date(text, year, month, day, today)


def _ambiguous(text: str, first: int, second: int, year: int | None, settings: DateSettings):  # type: ignore[no-untyped-def]
    """The error for "05/06/2025": name both readings and two spellings that can't be misread."""
    readings = [(first, second), (second, first)]  # (day, month)
    if settings.date_order == "MDY":
        readings.reverse()
    (day, month), (day2, month2) = readings
    suffix = "" if year is None else f" {year}"
    iso = f"{year or 'YYYY'}-{month:02d}-{day:02d}"
    return DateParseError(
        f'"{text}" could be {day} {_MONTH_NAMES[month - 1]}{suffix} or {day2}'
        f" {_MONTH_NAMES[month2 - 1]}{suffix}. Please write the month as a word,"
        f' e.g. "{day} {_MONTH_NAMES[month - 1]}{suffix}", or use "{iso}".'
    )


def _make_date(text: str, year: int | None, month: int, day: int, today: date) -> date:
    """A real date, or an error naming the impossible day or month. No year: the next one."""
    years = range(today.year, today.year + 9) if year is None else (year,)
    for candidate in years:  # nine years always include a leap year, for 29 February
        try:
            found = date(candidate, month, day)
        except ValueError:
            continue
        if year is not None or found >= today:
            return found
    raise DateParseError(
        f'"{text}" is not a valid date: there is no day {day} in month {month}.'
        f' Write dates like "05.12.2026" (day.month.year), "2026-12-05" or "5 December 2026".'
        " A time of day is written with a colon, like 9:30."
    )


def _month_end(text: str, settings: DateSettings, today: date) -> date | None:
    """'end of month' is the last day of this month (dateparser doesn't know it)."""
    if (match := _MONTH_END_RE.fullmatch(text)) is None:
        return None
    year, month = today.year, today.month
    if (match["en"] or "").strip().lower() == "next" or match["de"] or match["fr"]:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return date(year, month, calendar.monthrange(year, month)[1])


def _weekday(text: str, settings: DateSettings, today: date) -> date | None:
    """'Friday', 'next Friday', 'nächsten Freitag', 'vendredi prochain': the first such
    day after today, never today itself (for today, people type "today")."""
    match = _WEEKDAY_RE.fullmatch(text)
    if match is None or (index := _names(settings.languages)[0].get(match["name"].lower())) is None:
        return None
    return today + timedelta(days=(index - today.weekday() - 1) % 7 + 1)


def _dateparser_day(text: str, settings: DateSettings, today: date) -> date:
    """Worded dates via dateparser, with the checks it doesn't make itself."""
    weekdays, months = _names(settings.languages)
    words = [word.strip(".,").lower() for word in text.split()]
    if not _names_make_sense(words, weekdays, months):
        raise _Unreadable(f'"{text}" is not a date I can read. Please write e.g. {EXAMPLES}.')
    data = _run_dateparser(text, settings, today)
    found = data.date_obj if data is not None else None
    if data is None or found is None:
        raise _Unreadable(f'"{text}" is not a date I can read. Please write e.g. {EXAMPLES}.')
    if found.tzinfo is not None or found.time() != time(0):
        raise DateParseError(
            f'I can\'t tell which time of day "{text}" means. Write the time like 14:00,'
            ' e.g. "tomorrow 9:00".'
        )
    named_month = any(word in months for word in words)
    if "year" in data.parts and named_month and not re.search(r"\b\d{4}\b", text):
        raise _Unreadable(f'"{text}" has a two-digit year. Please write e.g. "5 December 2026".')
    day = found.date() if "year" in data.parts else _make_date(text, None, found.month, found.day, today)
    named = {weekdays[word] for word in words if word in weekdays}
    if named and day.weekday() not in named:
        raise DateParseError(
            f'"{text}" does not add up: {_day_name(day)} is a {_WEEKDAYS[day.weekday()]}.'
            " Please check the date."
        )
    return day


def _names_make_sense(words: list[str], weekdays: dict[str, int], months: dict[str, int]) -> bool:
    """Reject word salads before dateparser can make a date of them: at most one
    month and one weekday, and a month name must sit next to a day number. So in
    "5 December may be cancelled" the "may" is not the month May."""
    month_at = [i for i, word in enumerate(words) if word in months]
    if len(month_at) > 1 or sum(word in weekdays for word in words) > 1:
        return False
    near = (words[max(0, i - 2) : i + 3] for i in month_at)
    return all(any(ch.isdigit() for word in nearby for ch in word) for nearby in near)


def _run_dateparser(text: str, settings: DateSettings, today: date) -> DateData | None:
    """One dateparser call with explicit languages (no detection) and local settings."""
    parser = DateDataParser(
        languages=list(settings.languages),
        settings={
            # Naive local midnight: dateparser reads RELATIVE_BASE as wall time in
            # TIMEZONE; midnight keeps relative results free of a time of day.
            "RELATIVE_BASE": datetime.combine(today, time(0)),
            "TIMEZONE": str(settings.timezone),
            "RETURN_AS_TIMEZONE_AWARE": False,
            "PREFER_DATES_FROM": "future",
            "DATE_ORDER": settings.date_order,
            "PREFER_LOCALE_DATE_ORDER": False,
            "REQUIRE_PARTS": ["day", "month"],  # "March", "2026", "5" are not days
        },
    )
    try:
        return parser.get_date_data(text)
    except Exception:  # dateparser raises assorted errors on odd input; that is "unreadable"
        return None


@cache
def _names(languages: tuple[str, ...]) -> tuple[dict[str, int], dict[str, int]]:
    """Weekday and month names (3+ letters) of the group's languages, from dateparser's data."""
    weekdays: dict[str, int] = {}
    months: dict[str, int] = {}
    for language in languages:
        info = default_loader.get_locale(language).info
        for index, key in enumerate(_LOCALE_KEYS):
            table, number = (weekdays, index) if index < 7 else (months, index - 7)
            for name in info.get(key, []):
                if len(name.strip(".")) >= 3:
                    table.setdefault(name.strip(".").lower(), number)
    return weekdays, months


def _localize(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """The aware moment, refusing local times that a clock change skips or repeats."""
    naive = datetime.combine(day, clock)
    moment = naive.replace(tzinfo=zone)
    if moment.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
        raise DateParseError(
            f"{clock:%H:%M} does not exist on {_day_name(day)} in {zone}: the clocks skip it."
            " Please pick another time."
        )
    if moment.utcoffset() != moment.replace(fold=1).utcoffset():
        raise DateParseError(
            f"{clock:%H:%M} happens twice on {_day_name(day)} in {zone}: the clocks go back."
            " Please pick another time."
        )
    return moment


def _check_range(when: When, now: datetime, allow_past: bool) -> None:
    """Refuse the past (a date-only value by whole days) and the implausibly far future."""
    day, today = when.moment.date(), now.date()
    if day.year > today.year + HORIZON_YEARS:
        raise DateParseError(
            f'"{when.text}" reads as {describe(when.moment, with_time=False)}, more than'
            f" {HORIZON_YEARS} years ahead. Please check the year."
        )
    past = when.moment < now if when.has_time else day < today
    if past and not allow_past:
        raise DateParseError(
            f'"{when.text}" is {describe(when.moment, with_time=when.has_time)}, which is in'
            ' the past. Please give a date from today on, e.g. "next Friday" or "in 2 weeks".'
        )
