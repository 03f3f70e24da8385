"""`!skip`, `!unskip`, `!move`, `!meeting add`: chairs change the calendar.

Each command echoes what it understood (weekday, date, local time, zone and
UTC) as a reply, announces the change to the room, and tells the scheduler
to re-plan the automatic posts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time

from bot.calendar.cadence import Meeting, MeetingStatus
from bot.calendar.dates import DateParseError, When, describe, split_when
from bot.meeting.agenda import describe_meeting
from bot.meeting.group_calendar import GroupCalendar
from bot.meeting.live import local_key
from bot.meeting.render import escape, plural
from bot.runtime.calendars import load_calendar
from bot.runtime.router import CommandContext, Phase, Refusal, Reply, Role, Router, UsageError
from handlers.schedule import NO_CADENCE

MOVE_RE = re.compile(r"^(?P<old>.+?)\s+to\s+(?P<new>.+)$", re.IGNORECASE | re.DOTALL)
DEFAULT_MEETING_TIME = time(11, 0)


def _read(ctx: CommandContext, text: str, default_time: time | None = None) -> tuple[When, str]:
    try:
        return split_when(text, ctx.group.date_settings, ctx.now, default_time=default_time)
    except DateParseError as exc:
        raise UsageError(escape(str(exc))) from None


async def _calendar(ctx: CommandContext) -> GroupCalendar:
    calendar = await load_calendar(ctx.repo, ctx.group)
    if calendar.cadence is None:
        raise Refusal(NO_CADENCE)
    return calendar


def _takes_place(meeting: Meeting) -> bool:
    return meeting.status != MeetingStatus.SKIPPED


def _taking_place_at(
    calendar: GroupCalendar, moment: datetime, other_than: str | None = None
) -> Meeting | None:
    """The meeting that takes place starting at `moment`: the one duplicate
    rule of `!move` and `!meeting add`."""
    return next(
        (
            m
            for m in calendar.meetings_on(moment.date())
            if m.start == moment and _takes_place(m) and m.key != other_than
        ),
        None,
    )


def _pick(
    ctx: CommandContext,
    calendar: GroupCalendar,
    when: When,
    command: str,
    wanted: Callable[[Meeting], bool] = _takes_place,
) -> Meeting:
    """The meeting the chair means: of those that day `wanted` accepts, the
    one at the time given (its current or its original start); without a
    time, the only one. Else a Refusal that lists the day's meetings."""
    day = when.moment.date()
    on_day = calendar.meetings_on(day)
    fits = [m for m in on_day if wanted(m)]
    if when.has_time:
        clock = when.moment.time()
        fits = [m for m in fits if clock in (m.start.time(), m.original_local.time())]
    if len(fits) == 1:
        return fits[0]
    listed = " and ".join(f"{m.start:%H:%M}" for m in fits)
    if fits:
        raise Refusal(
            f"There are {plural(len(fits), 'meeting')} on {describe(when.moment, with_time=False)}"
            f": {listed}. Say which, e.g. `!{command} {day.day} {day:%B %Y} "
            f"{fits[-1].start:%H:%M}`."
        )
    raise Refusal(_none_there(ctx, calendar, when, on_day, command))


def _none_there(
    ctx: CommandContext, calendar: GroupCalendar, when: When, on_day: list[Meeting], command: str
) -> str:
    """Why nothing matched: the day's other meetings, a skip already made
    (with its reason), and the next meetings that take place."""
    day_text = describe(when.moment, with_time=when.has_time)
    skipped = [m for m in on_day if m.status == MeetingStatus.SKIPPED]
    if skipped and command != "unskip":
        meeting = skipped[0]
        reason = f" (reason: {escape(meeting.reason)})" if meeting.reason else ""
        return (
            f"The meeting of {describe_meeting(meeting)} is already skipped{reason}. "
            f"`!unskip {meeting.start.day} {meeting.start:%B %Y}` restores it."
        )
    if command == "unskip" and on_day:
        return f"The meeting of {describe_meeting(on_day[0])} is not skipped."
    taking_place = [m for m in on_day if _takes_place(m)]
    if taking_place:
        times = " and ".join(f"{m.start:%H:%M}" for m in taking_place)
        return f"There is no meeting on {day_text}; that day has one at {times}."
    upcoming = calendar.upcoming(ctx.now, 3, include_skipped=False)
    shown = ", ".join(f"{m.start:%a} {m.start.day} {m.start:%b %H:%M}" for m in upcoming) or "none"
    return f"There is no meeting on {day_text}. Next meetings: {shown}."


def _not_started(meeting: Meeting, now: datetime) -> Meeting:
    if meeting.start <= now:
        raise Refusal(f"The meeting of {describe_meeting(meeting)} has already started.")
    return meeting


async def _named_meeting(
    ctx: CommandContext,
    command: str,
    example: str,
    wanted: Callable[[Meeting], bool] = _takes_place,
) -> tuple[Meeting, str]:
    """The not yet started meeting that `<date> [time]` at the start of the
    arguments names, and the words after it."""
    if not ctx.args:
        raise UsageError(f"Which meeting? Give its date, e.g. `!{command} {example}`.")
    calendar = await _calendar(ctx)
    when, rest = _read(ctx, ctx.args)
    chosen = _pick(ctx, calendar, when, command, wanted)
    return _not_started(chosen, ctx.now), rest


async def _stored(ctx: CommandContext, day: date, key: str) -> Meeting | None:
    """The meeting as the calendar now has it: what replies announce."""
    calendar = await load_calendar(ctx.repo, ctx.group)
    return next((m for m in calendar.meetings_on(day) if m.key == key), None)


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
        usage="!skip <date> [time] [reason]",
        summary="cancel the meeting on that date",
        phase=Phase.BEFORE,
        topic="cancel, move or add a meeting",
        example="!skip 5 February 2027 clash with the General Forum",
    )
    async def skip_command(ctx: CommandContext) -> Reply:
        meeting, reason = await _named_meeting(ctx, "skip", "5 December holidays")
        await _change(ctx, "skip", meeting.key, None, reason)
        return Reply(
            f"Understood: skip the meeting of {describe_meeting(meeting)}.",
            announcement=f"**The {escape(ctx.group.name)} meeting of {describe_meeting(meeting)} "
            f"is cancelled.**{_reason(reason)}",
        )

    @router.command(
        "move",
        role=Role.VICE_CHAIR,
        usage="!move <date> [time] to <date and time> [reason]",
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
        meeting = _not_started(_pick(ctx, calendar, old, "move"), ctx.now)
        new, reason = _read(ctx, match["new"], default_time=meeting.start.time())
        if clash := _taking_place_at(calendar, new.moment, other_than=meeting.key):
            raise Refusal(f"There is already a meeting on {describe_meeting(clash)}.")
        await _change(ctx, "move", meeting.key, local_key(new.moment), reason)
        stored = await _stored(ctx, new.moment.date(), meeting.key)
        moved = describe_meeting(stored or _reschedule(meeting, new))
        if stored is not None and stored.status == MeetingStatus.SCHEDULED:
            moved += ", its original time"
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
        new_local = local_key(when.moment)
        for existing in calendar.meetings_on(when.moment.date()):
            if not _takes_place(existing) and existing.key == new_local:
                raise Refusal(
                    f"The meeting of {describe_meeting(existing)} is skipped. "
                    f"`!unskip {when.moment.day} {when.moment:%B %Y} {when.moment:%H:%M}` "
                    "restores it."
                )
        if clash := _taking_place_at(calendar, when.moment):
            raise Refusal(f"There is already a meeting on {describe_meeting(clash)}.")
        await _change(ctx, "add", None, new_local, reason)
        added = await _stored(ctx, when.moment.date(), new_local)
        text = describe_meeting(added) if added else describe(when.moment)
        return Reply(
            f"Understood: an extra meeting on {text}.",
            announcement=f"**Extra {escape(ctx.group.name)} meeting: {text}.**{_reason(reason)}",
        )

    @router.command(
        "unskip",
        role=Role.VICE_CHAIR,
        usage="!unskip <date> [time]",
        summary="restore a skipped meeting",
        phase=Phase.BEFORE,
        topic="cancel, move or add a meeting",
        example="!unskip 5 February 2027",
    )
    async def unskip(ctx: CommandContext) -> Reply:
        skipped, rest = await _named_meeting(
            ctx, "unskip", "5 February", lambda m: not _takes_place(m)
        )
        if rest:
            raise UsageError(f'`!unskip` takes a date and a time, not "{escape(rest)}".')
        await _change(ctx, "unskip", skipped.key, None, "")
        restored = await _stored(ctx, skipped.start.date(), skipped.key) or skipped
        return Reply(
            f"Understood: the meeting of {describe_meeting(restored)} takes place after all.",
            announcement=f"**The {escape(ctx.group.name)} meeting of "
            f"{describe_meeting(restored)} takes place after all.**",
        )


def _reschedule(meeting: Meeting, new: When) -> Meeting:
    """The meeting at its new time, same length, for the echo."""
    length = meeting.end - meeting.start
    return Meeting(meeting.key, new.moment, new.moment + length, "moved", meeting.start)
