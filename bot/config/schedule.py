"""A group's calendar settings: `[groups.cadence]`, `[groups.announce]`, and
the agenda and date-language keys beside them.

Parsed into the pure `Cadence` so the scheduler, the commands and the .ics
feed all see the same meetings. Every problem names its key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.calendar.cadence import Cadence
from bot.calendar.dates import DateSettings
from bot.calendar.timeparse import parse_date, parse_duration, parse_every, parse_local_datetime
from bot.config.problems import Checker

DEFAULT_STANDING_ITEMS = ("Welcome", "Member updates", "Sub-group reports", "Any other business")
DATE_ORDERS = {"DMY", "MDY", "YMD"}


@dataclass(frozen=True)
class Announce:
    """When the bot posts before each meeting."""

    agenda_before: timedelta = timedelta(days=7)
    reminders: tuple[timedelta, ...] = (timedelta(days=1), timedelta(minutes=15))
    chase_updates: timedelta | None = timedelta(days=2)
    grace: timedelta = timedelta(hours=2)


@dataclass(frozen=True)
class GroupSchedule:
    cadence: Cadence | None = None
    announce: Announce = field(default_factory=Announce)
    call_link: str | None = None
    standing_items: tuple[str, ...] = DEFAULT_STANDING_ITEMS
    languages: tuple[str, ...] = ("en",)
    date_order: str = "DMY"
    auto_close: timedelta = timedelta(
        hours=2
    )  # an open live meeting closes this long after its end


def parse_schedule(
    table: dict[str, Any], prefix: str, timezone: ZoneInfo | None, check: Checker
) -> GroupSchedule:
    cadence = None
    if "cadence" in table:  # checked even when the zone is wrong: every problem in one run
        zone = timezone or ZoneInfo("UTC")
        cadence = _parse_cadence(table["cadence"], f"{prefix}.cadence", zone, check)
        cadence = cadence if timezone is not None else None
    announce = _parse_announce(table.get("announce", {}), f"{prefix}.announce", check)
    call_link = check.string(table, "call_link", prefix, required=False)
    if call_link and not call_link.startswith(("https://", "http://")):
        check.fail(f"{prefix}.call_link", f"{call_link!r} must be a https:// link")
    items = _string_list(table, "standing_items", prefix, check, DEFAULT_STANDING_ITEMS)
    languages = _string_list(table, "languages", prefix, check, ("en",))
    date_order = table.get("date_order", "DMY")
    if date_order not in DATE_ORDERS:
        check.fail(f"{prefix}.date_order", f"{date_order!r} must be one of DMY, MDY, YMD")
        date_order = "DMY"
    elif timezone is not None:
        try:
            DateSettings(timezone, languages, date_order)
        except ValueError as exc:
            check.fail(f"{prefix}.languages", f"{exc} (use codes like 'en', 'de', 'fr')")
    auto_close = _duration_or(table, "auto_close", prefix, check, timedelta(hours=2))
    return GroupSchedule(cadence, announce, call_link, items, languages, date_order, auto_close)


def _string_list(
    table: dict, key: str, prefix: str, check: Checker, default: tuple[str, ...]
) -> tuple[str, ...]:
    value = table.get(key)
    if value is None:
        return default
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        check.fail(f"{prefix}.{key}", "must be a list of non-empty strings")
        return default
    return tuple(v.strip() for v in value)


def _parsed(check: Checker, key: str, parse, value: Any):
    """Run one strict parser; on failure record the problem under `key`."""
    try:
        return parse(value, key)
    except (ValueError, TypeError) as exc:
        message = str(exc)
        check.problems.append(message if message.startswith(key) else f"{key}: {message}")
        return None


def _parse_cadence(table: Any, prefix: str, timezone: ZoneInfo, check: Checker) -> Cadence | None:
    if not isinstance(table, dict):
        check.fail(prefix, "must be a table")
        return None
    check.unknown_keys(table, "cadence", prefix)
    dates = table.get("dates", [])
    if not isinstance(dates, list):
        check.fail(f"{prefix}.dates", 'must be a list like ["2025-05-09 11:00"]')
        dates = []
    one_off = [
        _parsed(check, f"{prefix}.dates[{i}]", parse_local_datetime, d) for i, d in enumerate(dates)
    ]
    start = every = until = None
    if "start" in table:
        start = _parsed(check, f"{prefix}.start", parse_local_datetime, table["start"])
    if "every" in table:
        every = _parsed(check, f"{prefix}.every", parse_every, table["every"])
    if ("start" in table) != ("every" in table):
        check.fail(prefix, "start and every go together (a first meeting and a step)")
    duration = _parsed(check, f"{prefix}.duration", parse_duration, table.get("duration", "1h"))
    if "until" in table:
        until = _parsed(check, f"{prefix}.until", parse_date, table["until"])
    breaks = _parse_breaks(table.get("breaks", []), f"{prefix}.breaks", check)
    failed = ("start" in table and start is None) or ("every" in table and every is None)
    if None in one_off or duration is None or breaks is None or failed:
        return None  # each failure is reported already: none twice over
    try:
        return Cadence(timezone, tuple(one_off), start, every, duration, breaks, until)
    except ValueError as exc:
        check.fail(prefix, str(exc))
        return None


def _parse_breaks(value: Any, prefix: str, check: Checker):
    if not isinstance(value, list):
        check.fail(prefix, 'must be a list like [{ from = "2026-07-01", to = "2026-08-31" }]')
        return None
    breaks = []
    for index, item in enumerate(value):
        key = f"{prefix}[{index}]"
        if not isinstance(item, dict) or set(item) != {"from", "to"}:
            check.fail(key, 'must be { from = "YYYY-MM-DD", to = "YYYY-MM-DD" }')
            continue
        first = _parsed(check, f"{key}.from", parse_date, item["from"])
        last = _parsed(check, f"{key}.to", parse_date, item["to"])
        if first and last and last < first:
            check.fail(key, f"ends ({last}) before it starts ({first})")
        elif first and last:
            breaks.append((first, last))
    return tuple(breaks)


def _parse_announce(table: Any, prefix: str, check: Checker) -> Announce:
    if not isinstance(table, dict):
        check.fail(prefix, "must be a table")
        return Announce()
    check.unknown_keys(table, "announce", prefix)
    default = Announce()
    agenda = _duration_or(table, "agenda_before", prefix, check, default.agenda_before)
    grace = _duration_or(table, "grace", prefix, check, default.grace)
    chase = _duration_or(table, "chase_updates", prefix, check, default.chase_updates)
    reminders = table.get("reminders")
    if reminders is None:
        parsed = default.reminders
    elif isinstance(reminders, list):
        parsed = tuple(
            _parsed(check, f"{prefix}.reminders[{i}]", parse_duration, r)
            for i, r in enumerate(reminders)
        )
    else:
        check.fail(f"{prefix}.reminders", 'must be a list like ["1d", "15m"]')
        parsed = default.reminders
    return Announce(agenda, tuple(r for r in parsed if r), chase, grace)


def _duration_or(table: dict, key: str, prefix: str, check: Checker, default):
    """`chase_updates = "off"` (or false) turns the chase off."""
    if key not in table:
        return default
    if key == "chase_updates" and table[key] in ("off", False):
        return None
    return _parsed(check, f"{prefix}.{key}", parse_duration, table[key]) or default
