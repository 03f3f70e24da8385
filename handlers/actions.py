"""Action items: `!action`, `!actions`, `!done`, `!action edit`, `!action drop`.

An action stays open from meeting to meeting until its owner (or whoever
recorded it, or a chair) closes it; open ones appear in the next agenda.
"""

from __future__ import annotations

from bot.meeting.actions import action_line, parse_action, split_due
from bot.meeting.owners import AmbiguousOwner, People, not_on_roster
from bot.meeting.record import Item
from bot.meeting.render import escape
from bot.runtime.router import (
    CommandContext,
    Phase,
    Refusal,
    Reply,
    Role,
    Router,
    UsageError,
    number_arg,
)
from handlers.due_dates import local_today, new_due_alone, task_and_due
from handlers.live import target_meeting_key
from storage.repo_meetings import StoredAction

MAX_TASK_CHARS = 1000


async def roster_people(ctx: CommandContext) -> People:
    """Who owners' words can name in this group, `me` being the sender."""
    return People.of(ctx.group, await ctx.names(), ctx.sender)


def owners_note(owners: tuple[str, ...], people: People) -> str:
    """Say plainly when a typed name is nobody the bot can remind."""
    unknown = not_on_roster(owners, people)
    if not unknown:
        return ""
    names = " and ".join(f"“{escape(name)}”" for name in unknown)
    verb = "is" if len(unknown) == 1 else "are"
    return f"\n{names} {verb} not on the roster, so nobody will be reminded of it."


async def _owned_action(ctx: CommandContext, text: str) -> StoredAction:
    """The open action `#id`, if the sender may change it."""
    number = number_arg(text)
    if number is None:
        raise UsageError("Give the action's number, as shown by `!actions`.")
    action = await ctx.repo.action(ctx.group.id, number)
    if action is None or action.status == "removed":
        raise Refusal(f"There is no action #{number}. See `!actions`.")
    if action.status != "open":
        raise Refusal(_closed(action, ctx))
    may = ctx.role >= Role.VICE_CHAIR or ctx.sender in (*action.owners, action.created_by)
    if not may:
        owners = "owner" if len(action.owners) == 1 else "owners"
        raise UsageError(
            f"Only the {owners} of action #{action.id}, whoever recorded it, "
            "or a chair can change it."
        )
    return action


def _closed(action: StoredAction, ctx: CommandContext) -> str:
    """`!done` on what is no longer open: say what it is and since when."""
    state = "already done" if action.status == "done" else "dropped"
    since = ""
    if action.closed_at is not None:
        day = action.closed_at.astimezone(ctx.group.timezone)
        since = f" (since {day:%a} {day.day} {day:%b %Y})"
    return f"Action #{action.id} “{escape(action.text)}” is {state}{since}; nothing changed."


def register(router: Router) -> None:
    @router.command(
        "action",
        role=Role.MEMBER,
        usage="!action <who> <task> [due <when> | by <when>]",
        summary="record an action item; edit or drop one",
        phase=Phase.AFTER,
        topic="action items",
        example="!action me circulate the draft due 15 January",
    )
    async def action(ctx: CommandContext) -> Reply:
        people = await roster_people(ctx)
        try:
            parsed = parse_action(ctx.args, people)
        except AmbiguousOwner as exc:
            raise Refusal(str(exc)) from None
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        task, due, due_note = task_and_due(ctx, parsed.task, parsed.due_text)
        if len(task) > MAX_TASK_CHARS:
            raise UsageError(f"Action texts are at most {MAX_TASK_CHARS:,} characters.")
        stored = await ctx.repo.add_action(
            group_id=ctx.group.id,
            meeting_key=await target_meeting_key(ctx, Item.ACTION),
            text=task,
            owners=parsed.owners,
            due=due,
            created_by=ctx.sender,
            event_id=ctx.event_id,
            now=ctx.now,
        )
        line = action_line(
            stored.id, stored.owners, stored.text, due, local_today(ctx), names=people.shown
        )
        return Reply(f"Action {line}{owners_note(stored.owners, people)}{due_note}")

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
        usage="!action edit <id> [<text>] [due <when> | by <when>]",
        summary="change an action item's text or due date",
        phase=Phase.AFTER,
        topic="action items",
        example="!action edit 3 circulate the second draft due 22 January",
    )
    async def edit(ctx: CommandContext) -> Reply:
        number, _, rest = ctx.args.partition(" ")
        item = await _owned_action(ctx, number)
        alone = new_due_alone(ctx, rest)
        if alone is not None:
            task, due, due_note = item.text, alone, ""
        else:
            task, due, due_note = task_and_due(ctx, *split_due(rest))
        if not task:
            raise UsageError("Give the new text, a due date (`due <when>`), or both.")
        if len(task) > MAX_TASK_CHARS:
            raise UsageError(f"Action texts are at most {MAX_TASK_CHARS:,} characters.")
        due = due or item.due  # words after "due" that are no date change no due date
        await ctx.repo.edit_action(item.id, task, due)
        names = await ctx.names()
        line = action_line(item.id, item.owners, task, due, local_today(ctx), names=names)
        return Reply(f"Changed: {line}{due_note}")

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
    """The open action items (`all`: every one), or one person's: the reply
    names whose it lists, so a name that matched nobody's is seen as such."""
    which = ctx.args.strip()
    items = await ctx.repo.actions(ctx.group.id, status=None if which == "all" else "open")
    items = [a for a in items if a.status != "removed"]
    names, whose = await ctx.names(), ""
    if which == "mine":
        items, whose = [a for a in items if ctx.sender in a.owners], " of yours"
    elif which and which != "all":
        try:
            people = await roster_people(ctx)
            who = people.owner(which)
        except AmbiguousOwner as exc:
            return str(exc)
        items = [a for a in items if who in a.owners]
        whose = f" of {escape(names.of(who))}"
        if not_on_roster((who,), people):
            whose += " (not on the roster)"
    if not items:
        return f"No open action items{whose}." if which != "all" else "No action items yet."
    today = local_today(ctx)
    lines = [
        f"- {action_line(a.id, a.owners, a.text, a.due, today, a.status, names=names)}"
        for a in items
    ]
    return f"**Action items{whose}** ({len(items)})\n\n" + "\n".join(lines)
