"""Which calendar day a date typed in chat means, once its time of day is taken out.

Split from ``bot.calendar.dates`` to keep both modules small: this is the day-reading half
(numeric and ISO dates, the ambiguity check, "end of month", weekdays, and dateparser
with the checks it doesn't make itself), while ``bot.calendar.dates`` handles the time of day,
the zone and the overall parse. The types and helpers both halves share live here, so
``bot.calendar.dates`` imports this module and never the other way round; import them from
``bot.calendar.dates``, which re-exports them.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from dateparser.date import DateData, DateDataParser
from dateparser.languages.loader import default_loader

EXAMPLES = '"5 December", "05.12.2026", "next Friday 11:00" or "in 2 weeks"'
_MONTH_LIST = "January February March April May June July August September October November"
_MONTHS = (*_MONTH_LIST.split(), "December")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

_ISO_RE = re.compile(r"(\d{4})([-./])(\d{1,2})\2(\d{1,2})")
_NUMERIC_RE = re.compile(r"(\d{1,2})([-./])(\d{1,2})(?:\2(\d{4}|\d{2}))?\.?")
_LEAD_RE = re.compile(r"(?:on|am|le)\s+|", re.IGNORECASE)  # "on Friday", "am 5. Dezember"
_FROM_NOW_RE = re.compile(r"\s+from\s+(?:now|today)$", re.IGNORECASE)  # dateparser: "ago"
_WEEKDAY_RE = re.compile(
    r"(?:(?:next|this|coming|nächste[nr]?|kommende[nr]?|diese[nr]?|ce)\s+)?"
    r"(?P<name>[^\W\d_]+)\.?(?:\s+prochain)?",
    re.IGNORECASE,
)
_MONTH_END_RE = re.compile(
    r"(?:the\s+)?end\s+of\s+(?:next\s+|this\s+|the\s+)?month|month[\s-]?end|monatsende"
    r"|ende\s+(?:des\s+|dieses\s+)?(?:nächsten\s+)?monats|fin\s+d[ue]\s+mois(?:\s+prochain)?",
    re.IGNORECASE,
)
_PERIOD_RE = re.compile(
    r"(?:(?:next|this|coming|the|nächste[nrs]?|kommende[nrs]?|diese[nrs]?|la|le|ce|cette)\s+)?"
    r"(?:week-?end|week|month|year|wochenende|woche|monat|jahr|semaine|mois|année)"
    r"(?:\s+prochaine?|-ci)?",
    re.IGNORECASE,
)


class DateParseError(ValueError):
    """A date the bot will not act on; ``str(exc)`` tells the user why and what works."""


class Unreadable(DateParseError):
    """Not a date at all, as opposed to a date that is past, ambiguous or invalid:
    only after this one does ``split_when`` go on to try a shorter prefix."""


@dataclass(frozen=True)
class DateSettings:
    """A group's way of writing dates: its zone, its chat languages, its numeric order."""

    timezone: ZoneInfo
    languages: tuple[str, ...] = ("en",)
    date_order: str = "DMY"

    def __post_init__(self) -> None:
        """Fail when the config is loaded, not on the first chat message."""
        object.__setattr__(self, "languages", tuple(self.languages))
        if self.date_order not in ("DMY", "MDY", "YMD"):
            raise ValueError(f"date_order must be DMY, MDY or YMD, got {self.date_order!r}")
        if not self.languages:
            raise ValueError("languages must name at least one language, e.g. ['en']")
        for language in self.languages:
            default_loader.get_locale(language)  # ValueError for an unknown code


def day_name(day: date) -> str:
    """English names on purpose: strftime's %A and %B follow the process locale."""
    return f"{_WEEKDAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]} {day.year}"


def unreadable(text: str) -> Unreadable:
    what = f'"{text}" is not a date I can read' if text else "I need a date"
    return Unreadable(f"{what}. Please write e.g. {EXAMPLES}.")


def parse_day(text: str, settings: DateSettings, today: date) -> date:
    """The calendar day of a date text that has no time of day left in it."""
    text = _FROM_NOW_RE.sub("", text[_LEAD_RE.match(text).end() :])  # type: ignore[union-attr]
    for rule in (_impossible_day, _numeric_date, _month_end, _weekday):
        if (day := rule(text, settings, today)) is not None:
            return day
    if _PERIOD_RE.fullmatch(text):
        raise DateParseError(
            f'"{text}" is a whole period, not a day. Please name the day, e.g. "next Friday",'
            ' "in 1 week" or "end of month".'
        )
    return _dateparser_day(text, settings, today)


_WORDED_RE = re.compile(
    r"(?:(?P<d1>\d{1,2})\.?\s+(?P<m1>[^\W\d_]+)\.?|(?P<m2>[^\W\d_]+)\.?\s+(?P<d2>\d{1,2})"
    r"(?:st|nd|rd|th)?,?)(?:\s+(?P<year>\d{4}))?"
)


def _impossible_day(text: str, settings: DateSettings, today: date) -> date | None:
    """'29 February 2027', '31 April': a day the month does not have is an
    error naming it. dateparser cannot read it, and `split_when` would then
    read "29 February" alone as the next leap year's, "2027" as a reason."""
    match = _WORDED_RE.fullmatch(text)
    if match is None:
        return None
    month = _names(settings.languages)[1].get((match["m1"] or match["m2"]).lower())
    if month is None:
        return None
    day, year = int(match["d1"] or match["d2"]), match["year"]
    longest = calendar.monthrange(int(year) if year else 2024, month + 1)[1]  # 2024: leap
    if 1 <= day <= longest:
        return None  # a real day: dateparser reads it
    name = _MONTHS[month]
    if month == 1 and day == 29 and year:
        why = f"{year} is not a leap year"
    elif month == 1 and not year:
        why = "February has 28 days, 29 in a leap year"
    else:
        why = f"{name} has {calendar.monthrange(int(year) if year else 2023, month + 1)[1]} days"
    raise DateParseError(f"{day} {name}{' ' + year if year else ''} does not exist: {why}.")


def _numeric_date(text: str, settings: DateSettings, today: date) -> date | None:
    """All-numeric dates: ISO is never ambiguous, dots follow the group's order,
    slashes and dashes are refused when day and month could be swapped."""
    if match := _ISO_RE.fullmatch(text):
        return _make_date(text, int(match[1]), int(match[3]), int(match[4]), today)
    if (match := _NUMERIC_RE.fullmatch(text)) is None:
        if re.fullmatch(r"[\d./-]+", text):
            raise unreadable(text)
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


def _ambiguous(
    text: str, first: int, second: int, year: int | None, settings: DateSettings
) -> DateParseError:
    """The error for "05/06/2025": both readings, and spellings that can't be misread."""
    readings = [(first, second), (second, first)]  # (day, month), the group's order first
    if settings.date_order == "MDY":
        readings.reverse()
    (day, month), (day2, month2) = readings
    year_text = "" if year is None else f" {year}"
    iso = "" if year is None else f', or "{year}-{month:02d}-{day:02d}"'
    return DateParseError(
        f'"{text}" could be {day} {_MONTHS[month - 1]}{year_text} or {day2}'
        f" {_MONTHS[month2 - 1]}{year_text}. Please write the month as a word, e.g."
        f' "{day} {_MONTHS[month - 1]}{year_text}"{iso}.'
    )


def _make_date(text: str, year: int | None, month: int, day: int, today: date) -> date:
    """A real date, or an error naming the impossible day. No year: the next such day."""
    for candidate in range(today.year, today.year + 9) if year is None else (year,):
        try:  # nine years always include a leap year, for "29 February"
            found = date(candidate, month, day)
        except ValueError:
            continue
        if year is not None or found >= today:
            return found
    raise DateParseError(
        f'"{text}" is not a valid date (day {day}, month {month}). Write dates like'
        ' "05.12.2026" (day.month.year), "2026-12-05" or "5 December 2026", and times of day'
        " with a colon, like 9:30."
    )


def _month_end(text: str, settings: DateSettings, today: date) -> date | None:
    """'end of month' is the last day of this month (dateparser doesn't know it)."""
    if _MONTH_END_RE.fullmatch(text) is None:
        return None
    year, month = today.year, today.month
    if re.search(r"next|nächsten|prochain", text, re.IGNORECASE):
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
    """Worded dates via dateparser, plus the checks it doesn't make itself."""
    weekdays, months = _names(settings.languages)
    words = [word.strip(".,").lower() for word in text.split()]
    # A colon left over is a time we did not understand ("11:00-12:00" reads as a zone).
    fits = ":" not in text and _names_fit(words, weekdays, months)
    data = _run_dateparser(text, settings, today) if fits else None
    found = None if data is None else data.date_obj
    if data is None or found is None or _ignores_a_word(text, found, settings, today):
        raise unreadable(text)
    if found.tzinfo is not None or found.time() != time(0):
        raise DateParseError(
            f'I can\'t tell which time of day "{text}" means. Please write the time like'
            ' 14:00, e.g. "tomorrow 9:00".'
        )
    if "year" not in data.parts:
        day = _make_date(text, None, found.month, found.day, today)
    elif any(word in months for word in words) and not re.search(r"\b\d{4}\b", text):
        raise Unreadable(f'"{text}" has a two-digit year. Please write e.g. "5 December 2026".')
    else:
        day = found.date()
    # Only full weekday names: short ones collide with words ("die", "mon", "Sam").
    named = {weekdays[word] for word in words if len(word) >= 4 and word in weekdays}
    if named and day.weekday() not in named:
        said, actual = _WEEKDAYS[min(named)], day_name(day).split(" ", 1)
        raise DateParseError(
            f'"{text}" does not add up: {actual[1]} is a {actual[0]}, not a {said}.'
        )
    return day


def _names_fit(words: list[str], weekdays: dict[str, int], months: dict[str, int]) -> bool:
    """Keep dateparser from making a date of a word salad: at most one month and one
    weekday, and a month name must sit near a number. So in "5 December may be
    cancelled" and "next Friday may be moved", "may" is not the month May."""
    month_at = [i for i, word in enumerate(words) if word in months]
    if len(month_at) > 1 or sum(len(word) >= 4 and word in weekdays for word in words) > 1:
        return False
    near = (words[max(0, i - 2) : i + 3] for i in month_at)
    return all(any(ch.isdigit() for word in nearby for ch in word) for nearby in near)


def _ignores_a_word(text: str, found: datetime, settings: DateSettings, today: date) -> bool:
    """Does dateparser get the same date without the last word or a number? Then it
    skipped it: "tomorrow 3" (3 o'clock?) or "tomorrow the" is not read as tomorrow."""
    words = text.split()
    suspects = {len(words) - 1} | {i for i, word in enumerate(words) if re.search(r"\d", word)}
    for index in sorted(suspects) if len(words) > 1 else ():
        if words[index].strip(".,") == str(found.year):
            continue  # "5 December 2026" read in 2026: the year is redundant, not skipped
        other = _run_dateparser(" ".join(words[:index] + words[index + 1 :]), settings, today)
        if other is not None and other.date_obj == found:
            return True
    return False


def _run_dateparser(text: str, settings: DateSettings, today: date) -> DateData | None:
    """One dateparser call with explicit languages (no detection) and local settings."""
    parser = DateDataParser(
        languages=list(settings.languages),
        settings={
            # Naive local midnight: dateparser reads RELATIVE_BASE as wall time in
            # TIMEZONE, and midnight keeps relative results free of a time of day.
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
    except Exception:  # dateparser raises assorted errors on odd input: "unreadable"
        return None


@cache
def _names(languages: tuple[str, ...]) -> tuple[dict[str, int], dict[str, int]]:
    """Weekday and month names of the group's languages, from dateparser's data.

    Short weekday names only in English: German "die", "mit" and French "mer", "jeu"
    are everyday words, and "!skip die Sitzung..." must not mean Tuesday.
    """
    weekdays: dict[str, int] = {}
    months: dict[str, int] = {}
    for language in languages:
        info = default_loader.get_locale(language).info
        short_days = 3 if language == "en" else 5
        for table, keys, shortest in ((weekdays, _WEEKDAYS, short_days), (months, _MONTHS, 3)):
            for index, key in enumerate(keys):
                names = (name.strip(".").lower() for name in info.get(key.lower(), []))
                table.update({name: index for name in names if len(name) >= shortest} | table)
    return weekdays, months
