"""Parsing the time expressions of the config: steps, durations, local times.

Strict formats only (no natural language): a config file is read by a
program, and an error must name the key and show an example that works.
"""

from __future__ import annotations

import re
from contextlib import suppress
from datetime import date, datetime, timedelta
from typing import Literal, NamedTuple

from dateutil.relativedelta import relativedelta
from dateutil.rrule import DAILY, MONTHLY, WEEKLY

Unit = Literal["day", "week", "month"]
_FREQ = {"day": DAILY, "week": WEEKLY, "month": MONTHLY}
_EVERY_RE = re.compile(r"(\d+)\s*(day|week|month)s?", re.IGNORECASE)
_DURATION_RE = re.compile(
    r"(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*(?:(\d+)\s*s)?", re.IGNORECASE
)


class Every(NamedTuple):
    """A recurrence step, i.e. RRULE ``FREQ`` + ``INTERVAL``."""

    interval: int
    unit: Unit

    @property
    def freq(self) -> int:  # the dateutil rrule constant
        return _FREQ[self.unit]

    @property
    def delta(self) -> relativedelta:  # the same step, for date arithmetic
        return relativedelta(**{f"{self.unit}s": self.interval})


def parse_every(text: str, name: str = "every") -> Every:
    """Parse ``"N days"``, ``"N weeks"`` or ``"N months"`` (N >= 1; "1 day" too)."""
    match = _EVERY_RE.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None or int(match[1]) < 1:
        raise ValueError(
            f"{name}: expected 'N days', 'N weeks' or 'N months' with N >= 1, got {text!r}"
        )
    return Every(int(match[1]), match[2].lower())  # type: ignore[arg-type]


def parse_duration(text: str, name: str = "duration") -> timedelta:
    """Parse ``"90m"``, ``"1h"``, ``"1h30m"``, ``"2d"``, ``"30s"``: d, h, m, s in that order."""
    match = _DURATION_RE.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None or not any(match.groups()):
        raise ValueError(f"{name}: expected e.g. '90m', '1h', '1h30m' or '2d', got {text!r}")
    days, hours, minutes, seconds = (int(group or 0) for group in match.groups())
    duration = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    if duration <= timedelta(0):
        raise ValueError(f"{name}: must be longer than zero, got {text!r}")
    return duration


def parse_local_datetime(text: str, name: str = "date-time") -> datetime:
    """Parse a group-local ``"YYYY-MM-DD HH:MM"`` (or with ``T``) into a naive datetime."""
    with suppress(ValueError, AttributeError):
        return datetime.strptime(text.strip().replace("T", " ", 1), "%Y-%m-%d %H:%M")
    raise ValueError(
        f"{name}: expected a valid local date and time like '2025-09-05 11:00' "
        f"(no seconds, no time zone), got {text!r}"
    )


def parse_date(text: str, name: str = "date") -> date:
    """Parse ``"YYYY-MM-DD"`` strictly (no week dates or compact forms)."""
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%d").date()
    except (ValueError, AttributeError):
        raise ValueError(f"{name}: expected a valid date like '2026-07-01', got {text!r}") from None
