"""`!next`, `!schedule [n]`, `!ics`, `!calendar`: the group's meetings for everyone."""

from __future__ import annotations

from datetime import datetime

from bot.calendar.cadence import Meeting
from bot.calendar.ics import render_ics
from bot.meeting.agenda import call_line, describe_meeting, render_schedule
from bot.meeting.group_calendar import GroupCalendar
from bot.meeting.render import escape
from bot.runtime.calendars import current_meeting, load_calendar
from bot.runtime.feed import feed_url
from bot.runtime.router import (
    CommandContext,
    OutgoingFile,
    Phase,
    Reply,
    Role,
    Router,
    UsageError,
    number_arg,
)

NO_CADENCE = "No meeting calendar is configured for this group yet (`[groups.cadence]`)."
DEFAULT_COUNT = 5
MAX_COUNT = 20
ICS_MEETINGS = 40


def register(router: Router) -> None:
    @router.command(
        "next",
        role=Role.OUTSIDER,
        usage="!next",
        summary="the next meeting",
        phase=Phase.BEFORE,
        topic="when we meet, and in your calendar",
    )
    async def next_command(ctx: CommandContext) -> Reply:
        calendar, meeting = await current_meeting(ctx.repo, ctx.group, ctx.now)
        if calendar.cadence is None:
            return Reply(NO_CADENCE)
        over = _ended_by_chair(calendar, meeting, ctx.now)
        ended = f"The meeting of {describe_meeting(over)} has ended.\n\n" if over else ""
        if meeting is None:
            return Reply(f"{ended}No further meetings are scheduled.")
        state = "in progress now" if meeting.start <= ctx.now else "next meeting"
        moved = ""
        if meeting.status == "moved" and meeting.original_start is not None:
            was = meeting.original_start
            moved = f" (moved from {was:%a} {was.day} {was:%b %H:%M})"
        return Reply(
            f"{ended}**{escape(ctx.group.name)}, {state}:** {describe_meeting(meeting)}{moved}"
            f"\n\n{call_line(ctx.group.schedule.call_link)}"
        )

    @router.command(
        "schedule",
        role=Role.OUTSIDER,
        usage="!schedule [n]",
        summary=f"the next n meetings (default {DEFAULT_COUNT}), skipped and moved ones marked",
        phase=Phase.BEFORE,
        topic="when we meet, and in your calendar",
        example="!schedule 8",
    )
    async def schedule_command(ctx: CommandContext) -> Reply:
        count = _count(ctx.args)
        calendar, meeting = await current_meeting(ctx.repo, ctx.group, ctx.now)
        if calendar.cadence is None:
            return Reply(NO_CADENCE)
        over = _ended_by_chair(calendar, meeting, ctx.now)  # `!next` skips it too
        upcoming = calendar.upcoming(ctx.now, count + 1 if over else count)
        if over is not None:
            upcoming = [m for m in upcoming if m.key != over.key]
        zone = ctx.group.timezone.key
        return Reply(
            f"**{escape(ctx.group.name)} meetings** ({zone})\n\n{render_schedule(upcoming)}"
        )

    @router.command(
        "ics",
        role=Role.OUTSIDER,
        usage="!ics",
        summary="the upcoming meetings as a calendar file (.ics)",
        phase=Phase.BEFORE,
        topic="when we meet, and in your calendar",
    )
    async def ics_command(ctx: CommandContext) -> Reply:
        calendar = await load_calendar(ctx.repo, ctx.group)
        if calendar.cadence is None:
            return Reply(NO_CADENCE)
        upcoming = calendar.upcoming(ctx.now, ICS_MEETINGS)
        text = render_ics(
            ctx.group.id,
            ctx.group.name,
            upcoming,
            call_link=ctx.group.schedule.call_link,
            now=ctx.now,
        )
        file = OutgoingFile(f"{ctx.group.id}-meetings.ics", "text/calendar", text.encode())
        return Reply(
            f"The next {len(upcoming)} meetings as a calendar file: open it to add them "
            "to your calendar.",
            files=(file,),
        )

    @router.command(
        "calendar",
        role=Role.MEMBER,
        usage="!calendar",
        summary="a calendar subscription that follows every move and cancellation",
        phase=Phase.BEFORE,
        topic="when we meet, and in your calendar",
    )
    async def calendar_command(ctx: CommandContext) -> Reply:
        if ctx.web is None:
            return Reply(
                "This bot has no calendar subscription yet (its operator has not set up "
                "`[web]`). `!ics` gives you a calendar file of the next meetings instead."
            )
        token = await ctx.repo.feed_token(ctx.group.id, ctx.now)
        return Reply(subscription_text(ctx.group.name, feed_url(ctx.web, token, ctx.group.id)))


def _ended_by_chair(
    calendar: GroupCalendar, current: Meeting | None, now: datetime
) -> Meeting | None:
    """The meeting whose hour still runs but whose chair has ended it: the
    calendar's current one when `current_meeting` named another; else None."""
    scheduled = calendar.next(now)
    return scheduled if scheduled is not None and scheduled != current else None


def subscription_text(group_name: str, url: str) -> str:
    webcal = "webcal://" + url.split("://", 1)[1]
    return (
        f"**Subscribe to the {escape(group_name)} meetings**: your calendar then shows every "
        "meeting and follows each move and cancellation by itself (calendar applications "
        "look again every few hours).\n\n"
        f"- **Outlook**: Add calendar → Subscribe from web → paste {url}\n"
        f"- **Google Calendar**: Other calendars → + → From URL → paste {url}\n"
        f"- **Apple Calendar** (Mac, iPhone): open {webcal}\n\n"
        "The link is for the group's members: please do not pass it on. If it gets out, "
        "the operator can replace it (`allies-bot feed rotate`)."
    )


def _count(args: str) -> int:
    if not args:
        return DEFAULT_COUNT
    count = number_arg(args)
    if count is None or not 1 <= count <= MAX_COUNT:
        raise UsageError(f"Give a number of meetings from 1 to {MAX_COUNT}.")
    return count
