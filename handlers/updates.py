"""`!update` and `!updates`: members' updates collected per meeting and alliance."""

from __future__ import annotations

import logging
from datetime import datetime
from itertools import groupby

from bot.meeting.agenda import describe_meeting
from bot.meeting.people import Names
from bot.meeting.record import Item, meeting_for, meeting_now
from bot.meeting.render import escape, plural
from bot.meeting.updates import NO_ALLIANCE, came_by_mail, too_long
from bot.runtime.calendars import load_calendar
from bot.runtime.router import CommandContext, MessageChange, Phase, Reply, Role, Router, UsageError
from storage.repo import Repo

log = logging.getLogger(__name__)


async def current_period(ctx: CommandContext) -> tuple[str, str]:
    """The meeting updates sent now belong to (the rule:
    `bot.meeting.record.meeting_for`), and how replies name it; a group
    without a calendar collects into one open period until its next meeting."""
    session = await ctx.repo.last_session(ctx.group.id)
    calendar = await load_calendar(ctx.repo, ctx.group)
    period = meeting_for(Item.UPDATE, session, calendar, ctx.now)
    if session is not None and session.ended_at is None and session.meeting_key == period:
        return period, "this meeting (running now)"
    meeting = meeting_now(calendar, session, ctx.now)
    if meeting is not None and meeting.key == period:
        return period, f"the meeting of {describe_meeting(meeting)}"
    return period, "the next meeting"


def check_length(text: str) -> None:
    answer = too_long(text)
    if answer is not None:
        raise UsageError(answer)


def register(router: Router) -> None:
    @router.command(
        "update",
        role=Role.MEMBER,
        usage="!update <text>",
        summary="send your update for the next meeting (edit the message to change it)",
        phase=Phase.BEFORE,
        topic="send your update; read everyone's",
        example="!update Our alliance launched a micro-credentials catalogue.",
        on_edit=edit_update,
        on_redact=redact_update,
    )
    async def update_command(ctx: CommandContext) -> Reply:
        if not ctx.args:
            raise UsageError("Please add the text of your update.")
        check_length(ctx.args)
        period, meeting = await current_period(ctx)
        stored = await ctx.repo.add_update(
            group_id=ctx.group.id,
            period=period,
            sender=ctx.sender,
            alliance=ctx.alliance or NO_ALLIANCE,
            text=ctx.args,
            event_id=ctx.event_id,
            now=ctx.now,
        )
        return Reply(
            f"Thanks, your update for {escape(stored.alliance)} is recorded for {meeting}."
        )

    @router.command(
        "updates",
        role=Role.MEMBER,
        usage="!updates",
        summary="the updates sent so far for the next meeting, by alliance",
        phase=Phase.BEFORE,
        topic="send your update; read everyone's",
    )
    async def updates_command(ctx: CommandContext) -> Reply:
        period, meeting = await current_period(ctx)
        names = await ctx.names()
        return Reply(await render_updates(ctx.repo, ctx.group.id, period, meeting, names))


async def edit_update(change: MessageChange) -> Reply | None:
    """A member edits their `!update` message: the stored text follows. Only
    the author may change it (an edit event from anyone else is ignored)."""
    repo, event_id = change.ctx.repo, change.ctx.event_id
    existing = await repo.update_by_event(event_id)
    if existing is None:
        return None
    if existing.sender != change.ctx.sender:
        log.warning("%s tried to edit %s's update; ignored", change.ctx.sender, existing.sender)
        return Reply("")
    return await apply_edit(repo, event_id, change.command, change.at)


async def redact_update(change: MessageChange) -> Reply | None:
    """A deleted `!update` message takes the update with it."""
    repo, event_id = change.ctx.repo, change.ctx.event_id
    if await repo.update_by_event(event_id) is None:
        return None
    await repo.delete_update(event_id)
    log.info("update %s removed by a redaction", event_id)
    return Reply("An update was deleted, so I removed it from the collection.")


async def apply_edit(
    repo: Repo, event_id: str, parsed: tuple[str, str] | None, now: datetime
) -> Reply:
    """Apply a member's edit of their `!update` message to the stored update."""
    if parsed is None or parsed[0] != "update" or not parsed[1]:
        await repo.delete_update(event_id)
        return Reply("Your edited message is no longer an `!update`, so I removed the update.")
    try:
        check_length(parsed[1])
    except UsageError as exc:
        return Reply(f"{exc} Your earlier text is kept.")
    await repo.edit_update(event_id, parsed[1], now)
    return Reply("Your update is changed.")


async def render_updates(repo: Repo, group_id: str, period: str, meeting: str, names: Names) -> str:
    updates = await repo.updates_for(group_id, period)
    if not updates:
        return f"No updates yet for {meeting}. Send yours with `!update <text>`."
    lines = [f"**Updates for {meeting}** ({plural(len(updates), 'update')})"]
    for alliance, items in groupby(updates, key=lambda u: u.alliance):
        lines.append(f"\n**{escape(alliance)}**\n")
        for item in items:
            text = escape(item.text).replace("\n", "  \n  ")
            how = " (by e-mail)" if came_by_mail(item.event_id) else ""
            lines.append(f"- {escape(names.of(item.sender))}{how}: {text}")
    return "\n".join(lines)
