"""`!skip`, `!move`, `!meeting add`: chairs change the calendar.

Each command echoes what it understood (weekday, date, local time, zone and
UTC) as a reply, announces the change to the room, and tells the scheduler
to re-plan the automatic posts.
"""

from __future__ import annotations

import re
from datetime import time

from bot.calendar.cadence import Meeting
from bot.calendar.dates import DateParseError, DateSettings, When, describe, split_when
from bot.meeting.agenda import describe_meeting
from bot.meeting.group_calendar import GroupCalendar
from bot.meeting.live import local_key
from bot.meeting.render import escape
from bot.runtime.calendars import load_calendar
from bot.runtime.router import CommandContext, Phase, Reply, Role, Router, UsageError
from handlers.schedule import NO_CADENCE

MOVE_RE = re.compile(r"^(?P<old>.+?)\s+to\s+(?P<new>.+)$", re.IGNORECASE | re.DOTALL)
DEFAULT_MEETING_TIME = time(11, 0)


def _settings(ctx: CommandContext) -> DateSettings:
    schedule = ctx.group.schedule
    return DateSettings(ctx.group.timezone, schedule.languages, schedule.date_order)


def _read(ctx: CommandContext, text: str, default_time: time | None = None) -> tuple[When, str]:
    try:
        return split_when(text, _settings(ctx), ctx.now, default_time=default_time)
    except DateParseError as exc:
        raise UsageError(escape(str(exc))) from None


async def _calendar(ctx: CommandContext) -> GroupCalendar:
    calendar = await load_calendar(ctx.repo, ctx.group)
    if calendar.cadence is None:
        raise UsageError(NO_CADENCE)
    return calendar


def _meeting_on(ctx: CommandContext, calendar: GroupCalendar, when: When) -> Meeting:
    meeting = calendar.on_date(when.moment.date())
    if meeting is None or meeting.status == "skipped":
        upcoming = ", ".join(f"{m.start:%a %d %b}" for m in calendar.upcoming(ctx.now, 3))
        raise UsageError(
            f"There is no meeting on {describe(when.moment, with_time=False)}. "
            f"Next meetings: {upcoming or 'none'}."
        )
    if meeting.start <= ctx.now:
        raise UsageError(f"The meeting of {describe_meeting(meeting)} has already started.")
    return meeting


async def _change(
    ctx: CommandContext, kind: str, original: str | None, new: str | None, reason: str
) -> None:
    """Store a chair's calendar change and have the automatic posts re-planned."""
    await ctx.repo.add_override(
        group_id=ctx.group.id,
        kind=kind,
        original_local=original,
        new_local=new,
        reason=reason,
        created_by=ctx.sender,
        now=ctx.now,
    )
    ctx.calendar_changed = True


def _reason(text: str) -> str:
    return f" Reason: {escape(text)}" if text else ""


def register(router: Router) -> None:
    @router.command(
        "skip",
        role=Role.VICE_CHAIR,
        usage="!skip <date> [reason]",
        summary="cancel the meeting on that date",
        phase=Phase.BEFORE,
        topic="cancel, move or add a meeting",
        example="!skip 5 February 2027 clash with the General Forum",
    )
    async def skip_command(ctx: CommandContext) -> Reply:
        if not ctx.args:
            raise UsageError("Which meeting? Give its date, e.g. `!skip 5 December holidays`.")
        calendar = await _calendar(ctx)
        when, reason = _read(ctx, ctx.args)
        meeting = _meeting_on(ctx, calendar, when)
        await _change(ctx, "skip", meeting.key, None, reason)
        return Reply(
            f"Understood: skip the meeting of {describe_meeting(meeting)}.",
            announcement=f"**The {escape(ctx.group.name)} meeting of {describe_meeting(meeting)} "
            f"is cancelled.**{_reason(reason)}",
        )

    @router.command(
        "move",
        role=Role.VICE_CHAIR,
        usage="!move <date> to <date and time> [reason]",
        summary="move a meeting to another day or time",
        phase=Phase.BEFORE,
        topic="cancel, move or add a meeting",
        example="!move 5 February to 12 February 14:00 clash with the General Forum",
    )
    async def move_command(ctx: CommandContext) -> Reply:
        match = MOVE_RE.match(ctx.args)
        if match is None:
            raise UsageError(
                "Say which meeting and where to, e.g. `!move 5 December to 12 December 14:00`."
            )
        calendar = await _calendar(ctx)
        old, rest = _read(ctx, match["old"])
        if rest:
            raise UsageError(f"I could not read {rest!r} as part of the meeting's date.")
        meeting = _meeting_on(ctx, calendar, old)
        new, reason = _read(ctx, match["new"], default_time=meeting.start.time())
        new_local = local_key(new.moment)
        await _change(ctx, "move", meeting.key, new_local, reason)
        moved = describe_meeting(_reschedule(meeting, new))
        return Reply(
            f"Understood: move the meeting of {describe_meeting(meeting)} to {moved}.",
            announcement=f"**The {escape(ctx.group.name)} meeting of {describe_meeting(meeting)} "
            f"moves to {moved}.**{_reason(reason)}",
        )

    @router.command(
        "meeting add",
        role=Role.VICE_CHAIR,
        usage="!meeting add <date and time> [reason]",
        summary="add an extra meeting",
        phase=Phase.BEFORE,
        topic="cancel, move or add a meeting",
        example="!meeting add 19 February 2027 11:00 the yearly report",
    )
    async def meeting_add(ctx: CommandContext) -> Reply:
        if not ctx.args:
            raise UsageError("When? E.g. `!meeting add 12 December 14:00`.")
        calendar = await _calendar(ctx)
        start = calendar.cadence.start or (calendar.cadence.one_off or [None])[0]
        when, reason = _read(
            ctx, ctx.args, default_time=start.time() if start else DEFAULT_MEETING_TIME
        )
        existing = calendar.on_date(when.moment.date())
        if existing is not None and existing.start == when.moment:
            raise UsageError(f"There is already a meeting at {describe_meeting(existing)}.")
        new_local = local_key(when.moment)
        await _change(ctx, "add", None, new_local, reason)
        added = (await load_calendar(ctx.repo, ctx.group)).on_date(when.moment.date())
        text = describe_meeting(added) if added else describe(when.moment)
        return Reply(
            f"Understood: an extra meeting on {text}.",
            announcement=f"**Extra {escape(ctx.group.name)} meeting: {text}.**{_reason(reason)}",
        )


def _reschedule(meeting: Meeting, new: When) -> Meeting:
    """The meeting at its new time, same length, for the echo."""
    length = meeting.end - meeting.start
    return Meeting(meeting.key, new.moment, new.moment + length, "moved", meeting.start)
