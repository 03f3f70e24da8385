"""Action items: `!action`, `!actions`, `!done`, `!action edit`, `!action drop`.

An action stays open from meeting to meeting until its owner (or whoever
recorded it, or a chair) closes it; open ones appear in the next agenda.
"""

from __future__ import annotations

from datetime import date

from bot.calendar.dates import DateParseError, DateSettings, parse_when
from bot.meeting.actions import action_line, parse_action, resolve_owner, split_due
from bot.meeting.record import Item
from bot.meeting.render import escape
from bot.runtime.router import CommandContext, Phase, Reply, Role, Router, UsageError, number_arg
from handlers.live import target_meeting_key
from storage.repo_meetings import StoredAction

MAX_TASK_CHARS = 1000


def local_today(ctx: CommandContext) -> date:
    return ctx.now.astimezone(ctx.group.timezone).date()


def parse_due(ctx: CommandContext, text: str | None) -> date | None:
    """A due date in the group's zone and languages; never silently dropped."""
    if text is None:
        return None
    schedule = ctx.group.schedule
    settings = DateSettings(ctx.group.timezone, schedule.languages, schedule.date_order)
    try:
        return parse_when(text, settings, ctx.now).moment.date()
    except DateParseError as exc:
        raise UsageError(f"I could not use the due date: {escape(str(exc))}") from None


async def _owned_action(ctx: CommandContext, text: str) -> StoredAction:
    """The open action `#id`, if the sender may change it."""
    number = number_arg(text)
    if number is None:
        raise UsageError("Give the action's number, as shown by `!actions`.")
    action = await ctx.repo.action(ctx.group.id, number)
    if action is None or action.status != "open":
        raise UsageError(f"There is no open action #{number}. See `!actions`.")
    may = ctx.role >= Role.VICE_CHAIR or ctx.sender in (*action.owners, action.created_by)
    if not may:
        raise UsageError(
            f"Only the owners of action #{action.id}, whoever recorded it, "
            "or a chair can change it."
        )
    return action


def register(router: Router) -> None:
    @router.command(
        "action",
        role=Role.MEMBER,
        usage="!action <who> <task> [due <when>]",
        summary="record an action item; edit or drop one",
        phase=Phase.AFTER,
        topic="action items",
        example="!action me circulate the draft due 15 January",
    )
    async def action(ctx: CommandContext) -> Reply:
        try:
            parsed = parse_action(ctx.args, ctx.group)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        if len(parsed.task) > MAX_TASK_CHARS:
            raise UsageError(f"Action texts are at most {MAX_TASK_CHARS:,} characters.")
        due = parse_due(ctx, parsed.due_text)
        stored = await ctx.repo.add_action(
            group_id=ctx.group.id,
            meeting_key=await target_meeting_key(ctx, Item.ACTION),
            text=parsed.task,
            owners=parsed.owners,
            due=due,
            created_by=ctx.sender,
            event_id=ctx.event_id,
            now=ctx.now,
        )
        names = await ctx.names()
        line = action_line(
            stored.id, stored.owners, stored.text, due, local_today(ctx), names=names
        )
        return Reply(f"Action {line}")

    @router.command(
        "actions",
        role=Role.MEMBER,
        usage="!actions [mine|@user|all]",
        summary="open action items (`all`: closed ones too)",
        phase=Phase.AFTER,
        topic="action items",
        example="!actions mine",
    )
    async def actions(ctx: CommandContext) -> Reply:
        return Reply(await list_actions(ctx))

    @router.command(
        "done",
        role=Role.MEMBER,
        usage="!done <id>",
        summary="close an action item",
        phase=Phase.AFTER,
        topic="action items",
        example="!done 3",
    )
    async def done(ctx: CommandContext) -> Reply:
        item = await _owned_action(ctx, ctx.args)
        await ctx.repo.set_action_status(item.id, "done", ctx.sender, ctx.now)
        return Reply(f"Done: #{item.id} {escape(item.text)}")

    @router.command(
        "action edit",
        role=Role.MEMBER,
        usage="!action edit <id> <text> [due <when>]",
        summary="change an action item's text or due date",
        phase=Phase.AFTER,
        topic="action items",
        example="!action edit 3 circulate the second draft due 22 January",
    )
    async def edit(ctx: CommandContext) -> Reply:
        number, _, rest = ctx.args.partition(" ")
        item = await _owned_action(ctx, number)
        task, due_text = split_due(rest)
        if not task:
            raise UsageError("Give the new text (and optionally `due <when>`).")
        due = parse_due(ctx, due_text) if due_text else item.due
        await ctx.repo.edit_action(item.id, task, due)
        names = await ctx.names()
        line = action_line(item.id, item.owners, task, due, local_today(ctx), names=names)
        return Reply(f"Changed: {line}")

    @router.command(
        "action drop",
        role=Role.VICE_CHAIR,
        usage="!action drop <id>",
        summary="drop an action item that is no longer needed",
        phase=Phase.AFTER,
        topic="action items",
        example="!action drop 3",
    )
    async def drop(ctx: CommandContext) -> Reply:
        item = await _owned_action(ctx, ctx.args)
        await ctx.repo.set_action_status(item.id, "dropped", ctx.sender, ctx.now)
        return Reply(f"Dropped: #{item.id} {escape(item.text)}")


async def list_actions(ctx: CommandContext) -> str:
    which = ctx.args.strip()
    items = await ctx.repo.actions(ctx.group.id, status=None if which == "all" else "open")
    items = [a for a in items if a.status != "removed"]
    if which == "mine":
        items = [a for a in items if ctx.sender in a.owners]
    elif which.startswith("@") or (which and which != "all"):
        who = resolve_owner(which, ctx.group)
        items = [a for a in items if who in a.owners]
    if not items:
        return "No open action items." if which != "all" else "No action items yet."
    today, names = local_today(ctx), await ctx.names()
    lines = [
        f"- {action_line(a.id, a.owners, a.text, a.due, today, a.status, names=names)}"
        for a in items
    ]
    return f"**Action items** ({len(items)})\n\n" + "\n".join(lines)
