"""`allies-bot schedule` and `allies-bot ics`: the calendar from the shell,
with the chairs' skips and moves from the database applied."""

from __future__ import annotations

import json
from datetime import datetime, time

from bot.calendar.cadence import Meeting, MeetingStatus
from bot.calendar.ics import render_ics
from bot.calendar.timeparse import parse_date
from bot.config import Config, GroupConfig
from bot.meeting.agenda import describe_meeting
from bot.meeting.group_calendar import GroupCalendar
from bot.runtime.calendars import load_calendar
from bot.runtime.core import utc_now
from storage.db import Storage


class CliError(Exception):
    """A wrong argument; printed as one line, exit 2."""


def groups_named(config: Config, group_id: str | None) -> list[GroupConfig]:
    groups = [g for g in config.groups if group_id in (None, g.id)]
    if not groups:
        known = ", ".join(g.id for g in config.groups)
        raise CliError(f"--group: no group {group_id!r} (known: {known})")
    return groups


async def _calendars(config: Config, groups: list[GroupConfig]) -> list[GroupCalendar]:
    storage = Storage(config.storage.url)
    try:
        await storage.migrate()
        async with storage.transaction() as repo:
            return [await load_calendar(repo, group) for group in groups]
    finally:
        await storage.close()


def _start(group: GroupConfig, from_date: str | None) -> datetime:
    if from_date is None:
        return utc_now()
    try:
        day = parse_date(from_date, "--from")
    except ValueError as exc:
        raise CliError(str(exc)) from None
    return datetime.combine(day, time.min, tzinfo=group.timezone)


def meeting_json(group: GroupConfig, meeting: Meeting) -> dict:
    added = meeting.status == MeetingStatus.ADDED
    return {
        "group": group.id,
        "key": meeting.key,
        "start": meeting.start.isoformat(),
        "end": meeting.end.isoformat(),
        "start_utc": meeting.start_utc.isoformat().replace("+00:00", "Z"),
        "status": str(MeetingStatus.SCHEDULED if added else meeting.status),
        "added": added,
        "original_start": meeting.original_start.isoformat() if meeting.original_start else None,
        "reason": meeting.reason,
    }


async def schedule_command(
    config: Config, group_id: str | None, from_date: str | None, count: int, as_json: bool
) -> str:
    if count < 1:
        raise CliError("--count: must be at least 1")
    groups = groups_named(config, group_id)
    rows: list[dict] = []
    lines: list[str] = []
    for calendar in await _calendars(config, groups):
        group = calendar.group
        if calendar.cadence is None:
            lines.append(f"{group.id}: no [groups.cadence] configured")
            continue
        for meeting in calendar.upcoming(_start(group, from_date), count):
            rows.append(meeting_json(group, meeting))
            mark = "" if meeting.status == "scheduled" else f"  [{meeting.status}]"
            lines.append(f"{group.id}  {describe_meeting(meeting)}{mark}")
    return json.dumps(rows, indent=2) if as_json else "\n".join(lines)


async def ics_command(config: Config, group_id: str | None, count: int = 40) -> str:
    groups = groups_named(config, group_id)
    if len(groups) > 1:
        raise CliError("--group: this config has several groups; name one")
    [calendar] = await _calendars(config, groups)
    group = calendar.group
    if calendar.cadence is None:
        raise CliError(f"group {group.id}: no [groups.cadence] configured")
    now = utc_now()
    upcoming = calendar.upcoming(now, count)
    return render_ics(group.id, group.name, upcoming, call_link=group.schedule.call_link, now=now)


async def minutes_command(
    config: Config, group_id: str | None, meeting_date: str | None, fmt: str
) -> str:
    """The minutes of one meeting (default: the current or most recent), compiled
    from what is stored, as Markdown or HTML."""
    from bot.meeting.live import minutes_meeting, session_meeting
    from bot.meeting.minutes import compile_minutes
    from bot.meeting.render import to_html
    from bot.runtime.minutes_data import gather_minutes

    groups = groups_named(config, group_id)
    if len(groups) > 1:
        raise CliError("--group: this config has several groups; name one")
    storage = Storage(config.storage.url)
    try:
        await storage.migrate()
        async with storage.transaction() as repo:
            calendar = await load_calendar(repo, groups[0])
            session = await repo.last_session(groups[0].id)
            now = utc_now()
            if meeting_date is None:
                meeting = minutes_meeting(session, calendar, now)
            else:
                day = _day(meeting_date)
                meeting = calendar.on_date(day)
                if session and session_meeting(session, groups[0].timezone).start.date() == day:
                    meeting = meeting or session_meeting(session, groups[0].timezone)
            if meeting is None:
                raise CliError("no meeting found (see `allies-bot schedule`)")
            markdown = compile_minutes(await gather_minutes(repo, calendar, meeting, session, now))
    finally:
        await storage.close()
    return to_html(markdown) if fmt == "html" else markdown


def _day(text: str):
    try:
        return parse_date(text, "--meeting")
    except ValueError as exc:
        raise CliError(str(exc)) from None
