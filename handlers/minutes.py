"""`!minutes`: compile the current or most recent meeting's minutes into the room.

Posted as formatted messages plus the Markdown file. Running it again edits
the earlier messages (`m.replace`) and replaces the file instead of posting
a second copy.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, time, timedelta

from bot.calendar.cadence import Meeting, localize
from bot.calendar.dates import DateParseError, describe, split_when
from bot.calendar.dates_day import day_name
from bot.meeting.group_calendar import GroupCalendar
from bot.meeting.live import minutes_meeting, session_meeting
from bot.meeting.mail_texts import minutes_subject
from bot.meeting.minutes import compile_minutes, minutes_filename
from bot.meeting.permalinks import meeting_url
from bot.meeting.render import MAX_CHUNK_CHARS, escape, plural, readable, split_for_messages
from bot.runtime.calendars import load_calendar
from bot.runtime.minutes_data import gather_minutes
from bot.runtime.router import (
    CommandContext,
    MailPost,
    OutgoingFile,
    Phase,
    Reply,
    Role,
    RoomPost,
    Router,
    UsageError,
)
from storage.repo_meetings import StoredSession

_YEAR = re.compile(r"\b\d{4}\b|\d[./-]\d{1,2}[./-]\d{2}\b")  # a year the chair typed
RECENT = timedelta(days=400)  # how far back "recent meetings" looks


def minutes_posts(
    group_id: str, meeting: Meeting, markdown: str, previous: tuple[list[str], int] | None
) -> tuple[list[RoomPost], list[str], int]:
    """Room posts for this revision; each replaces the same part of the first one."""
    earlier, revision = previous if previous else ([], 0)
    revision += 1
    earlier_text = [k for k in earlier if not k.endswith(":file")]
    earlier_file = next((k for k in earlier if k.endswith(":file")), None)
    base = f"minutes:{group_id}:{meeting.key}"
    posts, keys = [], []
    for index, chunk in enumerate(split_for_messages(markdown, MAX_CHUNK_CHARS)):
        original = earlier_text[index] if index < len(earlier_text) else None
        posts.append(RoomPost(chunk, f"{base}:r{revision}:{index}", replaces_key=original))
        keys.append(original or f"{base}:r{revision}:{index}")
    file_key = f"{base}:r{revision}:file"
    text = readable(markdown).encode()  # a file is read as text, not rendered
    file = OutgoingFile(minutes_filename(group_id, meeting), "text/markdown", text)
    posts.append(RoomPost("", file_key, file=file, replaces_key=earlier_file))
    keys.append(earlier_file or file_key)
    return posts, keys, revision


def register(router: Router) -> None:
    @router.command(
        "minutes",
        role=Role.VICE_CHAIR,
        usage="!minutes [date] [time]",
        summary="post the minutes of the latest meeting, or of a date",
        phase=Phase.AFTER,
        example="!minutes 4 December",
    )
    async def minutes(ctx: CommandContext) -> Reply:
        calendar = await load_calendar(ctx.repo, ctx.group)
        if ctx.args:
            meeting, session = await _meeting_on(ctx, calendar)
        else:
            session = await ctx.repo.last_session(ctx.group.id)
            meeting = minutes_meeting(session, calendar, ctx.now)
        if meeting is None:
            return Reply("There is no meeting to write minutes for yet.")
        data = await gather_minutes(ctx.repo, calendar, meeting, session, ctx.now)
        markdown = compile_minutes(data)
        previous = await ctx.repo.minutes_post(ctx.group.id, meeting.key)
        posts, keys, revision = minutes_posts(ctx.group.id, meeting, markdown, previous)
        await ctx.repo.save_minutes_post(
            ctx.group.id, meeting.key, keys, markdown, revision, ctx.now
        )
        what = "updated: I edited the earlier post" if previous else "posted below"
        when = f"{meeting.start:%a} {meeting.start.day} {meeting.start:%b %Y}"
        if ctx.args:  # the chair named a day: say which meeting of it
            when += f", {meeting.start:%H:%M}"
        subject = minutes_subject(ctx.group.name, meeting, revision)
        key = f"minutes:{ctx.group.id}:{meeting.key}:r{revision}"
        mail = MailPost("minutes", ctx.group.id, key, subject, markdown, meeting)
        on_the_web = ""
        if ctx.web is not None:
            url = meeting_url(ctx.web, ctx.group.id, meeting, calendar)
            on_the_web = f" On the web: {url}"
            mail = replace(mail, markdown=f"{markdown}\n\nOn the web: {url}")
        return Reply(
            f"Minutes of {when} {what}.{on_the_web}", room_posts=tuple(posts), mails=(mail,)
        )


async def _meeting_on(
    ctx: CommandContext, calendar: GroupCalendar
) -> tuple[Meeting, StoredSession | None]:
    """The meeting of the day (and time) the chair gave that has started,
    scheduled or ad hoc, with its live session; else a UsageError that says
    what there is."""
    settings = ctx.group.date_settings
    try:
        when, rest = split_when(ctx.args, settings, ctx.now, allow_past=True)
    except DateParseError as exc:
        raise UsageError(escape(str(exc))) from None
    day = _looking_back(when.moment.date(), when.text, ctx.now.astimezone(ctx.group.timezone))
    if rest:
        raise UsageError(
            f"I read {describe(when.moment, with_time=when.has_time)} as the date; "
            f'`!minutes` takes nothing after it (not "{escape(rest)}").'
        )
    held = await _meetings_of_day(ctx, calendar, day)
    if when.has_time:
        held = [(m, s) for m, s in held if m.start.time() == when.moment.time()]
    if len(held) == 1:
        return held[0]
    if held:
        times = " and ".join(f"{m.start:%H:%M}" for m, _ in held)
        raise UsageError(
            f"There were {plural(len(held), 'meeting')} on {day_name(day)}: {times}. "
            f"Say which, e.g. `!minutes {day.day} {day:%B %Y} {held[-1][0].start:%H:%M}`."
        )
    at = f" at {when.moment:%H:%M}" if when.has_time else ""
    latest = [m for m in calendar.between(ctx.now - RECENT, ctx.now) if m.start <= ctx.now][-3:]
    shown = ", ".join(f"{m.start:%a} {m.start.day} {m.start:%b %Y}" for m in latest) or "none yet"
    raise UsageError(
        f"No meeting has taken place on {day_name(day)}{at}. Recent meetings: {shown}."
    )


def _looking_back(day: date, text: str, now: datetime) -> date:
    """Minutes are of the past: "11 December" without a year, read in
    January, is the December just gone, not the next one."""
    if day <= now.date() or _YEAR.search(text):
        return day
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day


async def _meetings_of_day(
    ctx: CommandContext, calendar: GroupCalendar, day: date
) -> list[tuple[Meeting, StoredSession | None]]:
    """Scheduled meetings of that local day that have started, and ad-hoc
    ones run that day, each with its live session if there was one."""
    zone = ctx.group.timezone
    start = localize(datetime.combine(day, time.min), zone)
    end = localize(datetime.combine(day + timedelta(days=1), time.min), zone)
    sessions = await ctx.repo.sessions_between(ctx.group.id, start, end)
    by_key = {s.meeting_key: s for s in sessions}
    scheduled = [m for m in calendar.between(start, end) if m.start < end and m.start <= ctx.now]
    adhoc = [
        session_meeting(s, zone)
        for s in sessions
        if s.meeting_key not in {m.key for m in scheduled}
    ]
    found = sorted([*scheduled, *adhoc], key=lambda m: m.start)
    return [(m, by_key.get(m.key)) for m in found if m.start.date() == day]
