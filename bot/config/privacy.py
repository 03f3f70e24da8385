"""`[privacy]` and `retention`: what the bot tells people about their data,
and how long it keeps what they wrote.

Retention is a span (`"3y"`, `"18 months"`, `"400d"`) or `"off"`; a group's
own `retention` wins over the top-level one. The default is three years: the
yearly report to WP2 covers the past calendar year and is compared with the
one before, so three years keep every report that can still be asked for,
and no more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from dateutil.relativedelta import relativedelta

from bot.config.problems import Checker

DEFAULT_RETENTION = "3y"
MAX_NOTICE_CHARS = 2000
_SPAN = re.compile(r"(\d{1,4})\s*(y|years?|m|months?|w|weeks?|d|days?)", re.IGNORECASE)
_UNIT = {"y": "years", "m": "months", "w": "weeks", "d": "days"}
DEFAULT_NOTICE = (
    "This bot keeps what the group needs for its meeting cycle: who represents which "
    "alliance, your updates, attendance, notes, action items and outputs, in the "
    "operator's database. `!mydata` sends you a copy, `!forget me` erases you."
)


_NUMBER_WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


@dataclass(frozen=True)
class Retention:
    """How long stored items are kept; `span` None means for good."""

    text: str
    span: relativedelta | None

    @property
    def words(self) -> str:
        """The span as people say it: "three years", "18 months", "for good"."""
        match = _SPAN.fullmatch(self.text)
        if self.span is None or match is None:
            return "for good" if self.span is None else self.text
        count, unit = int(match[1]), _UNIT[match[2][0].lower()]
        number = _NUMBER_WORDS[count - 1] if count <= len(_NUMBER_WORDS) else f"{count:,}"
        return f"{number} {unit if count != 1 else unit[:-1]}"


@dataclass(frozen=True)
class PrivacyConfig:
    contact: str | None = None
    notice: str = DEFAULT_NOTICE
    retention: Retention = Retention(DEFAULT_RETENTION, relativedelta(years=3))


def parse_retention(value: Any, key: str, check: Checker) -> Retention | None:
    if not isinstance(value, str):
        check.fail(key, 'must be a span like "3y", "18 months", "400d", or "off"')
        return None
    text = value.strip()
    if text.lower() == "off":
        return Retention("off", None)
    match = _SPAN.fullmatch(text)
    if match is None or int(match[1]) == 0:
        check.fail(key, f'{value!r} is not a span; use e.g. "3y", "18 months", "400d" or "off"')
        return None
    span = relativedelta(**{_UNIT[match[2][0].lower()]: int(match[1])})
    if span.years * 365 + span.months * 30 + span.weeks * 7 + span.days < 30:
        check.fail(key, f"{value!r} is under a month: the minutes of the last meeting would go")
        return None
    return Retention(text, span)


def parse_privacy(table: Any, check: Checker) -> PrivacyConfig:
    if table is None:
        return PrivacyConfig()
    if not isinstance(table, dict):
        check.fail("privacy", "must be a table")
        return PrivacyConfig()
    check.unknown_keys(table, "privacy", "privacy")
    contact = check.string(table, "contact", "privacy", required=False)
    notice = check.string(table, "notice", "privacy", required=False) or DEFAULT_NOTICE
    if len(notice) > MAX_NOTICE_CHARS:
        check.fail("privacy.notice", f"is {len(notice):,} characters; at most {MAX_NOTICE_CHARS:,}")
    retention = PrivacyConfig().retention
    if "retention" in table:
        retention = parse_retention(table["retention"], "privacy.retention", check) or retention
    return PrivacyConfig(contact, notice, retention)
