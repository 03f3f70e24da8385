"""`!agenda`, `!agenda add`, `!agenda remove`, `!quiet`: the next meeting's agenda."""

from __future__ import annotations

from bot.meeting.agenda import ProposedItem, agenda_lines
from bot.runtime.agenda_data import agenda_text
from bot.runtime.calendars import current_meeting
from bot.runtime.router import CommandContext, Phase, Reply, Role, Router, UsageError, number_arg
from handlers.schedule import NO_CADENCE

MAX_ITEM_CHARS = 300


async def _next_meeting_items(ctx: CommandContext):
    _, meeting = await current_meeting(ctx.repo, ctx.group, ctx.now)
    if meeting is None:
        return None, []
    return meeting, await ctx.repo.agenda_items(ctx.group.id, meeting.key)


def register(router: Router) -> None:
    @router.command(
        "agenda",
        role=Role.OUTSIDER,
        usage="!agenda",
        summary="the next meeting's agenda and proposed items",
        phase=Phase.BEFORE,
    )
    async def agenda_command(ctx: CommandContext) -> Reply:
        if ctx.args:
            raise UsageError("Did you mean `!agenda add <text>`?")
        meeting, _ = await _next_meeting_items(ctx)
        if meeting is None:
            return Reply(NO_CADENCE if ctx.group.schedule.cadence is None else "No next meeting.")
        text = await agenda_text(
            ctx.repo, ctx.group, meeting, ctx.now, draft=True, link=ctx.link, web=ctx.web
        )
        return Reply(text)

    @router.command(
        "agenda add",
        role=Role.MEMBER,
        usage="!agenda add <text>",
        summary="propose an item for the next meeting's agenda",
        phase=Phase.BEFORE,
        example="!agenda add Erasmus+ call 2027: who applies?",
    )
    async def agenda_add(ctx: CommandContext) -> Reply:
        if not ctx.args:
            raise UsageError("Please add the item's text.")
        if len(ctx.args) > MAX_ITEM_CHARS:
            raise UsageError(
                f"Agenda items are at most {MAX_ITEM_CHARS} characters; "
                f"this one has {len(ctx.args):,}. Put details in an `!update`."
            )
        meeting, items = await _next_meeting_items(ctx)
        if meeting is None:
            return Reply(NO_CADENCE)
        await ctx.repo.add_agenda_item(
            group_id=ctx.group.id,
            meeting_key=meeting.key,
            text=ctx.args,
            proposer=ctx.sender,
            event_id=ctx.event_id,
            now=ctx.now,
        )
        names = await ctx.names()
        proposed = [ProposedItem(i.text, names.of(i.proposer)) for i in items]
        proposed.append(ProposedItem(ctx.args, names.of(ctx.sender)))
        lines = agenda_lines(ctx.group.schedule.standing_items, proposed)
        number = next(ln.number for ln in lines if ln.proposed_index == len(proposed) - 1)
        day = meeting.start
        return Reply(f"Added as item {number} of the draft agenda for {day:%a} {day.day} {day:%b}.")

    @router.command(
        "agenda remove",
        role=Role.VICE_CHAIR,
        usage="!agenda remove <n>",
        summary="remove a proposed item (its number in `!agenda`)",
        phase=Phase.BEFORE,
        example="!agenda remove 2",
    )
    async def agenda_remove(ctx: CommandContext) -> Reply:
        number = number_arg(ctx.args)
        if number is None:
            raise UsageError("Give the item's number as shown by `!agenda`.")
        _, items = await _next_meeting_items(ctx)
        names = await ctx.names()
        proposed = [ProposedItem(i.text, names.of(i.proposer)) for i in items]
        lines = agenda_lines(ctx.group.schedule.standing_items, proposed)
        line = next((ln for ln in lines if ln.number == number), None)
        if line is None or line.proposed_index is None:
            return Reply(
                f"Item {number} is not a proposed item; standing items come from "
                "the config (`standing_items`). See `!agenda` for the numbers."
            )
        await ctx.repo.remove_agenda_item(items[line.proposed_index].id, ctx.now)
        return Reply(f"Removed item {line.number}: {line.text}")

    @router.command(
        "quiet",
        role=Role.MEMBER,
        usage="!quiet [off]",
        summary="stop your reminders, in the room and by mail (`off`: restart them)",
        phase=Phase.BEFORE,
        example="!quiet",
    )
    async def quiet_command(ctx: CommandContext) -> Reply:
        if ctx.args not in ("", "on", "off"):
            raise UsageError("Use `!quiet` or `!quiet off`.")
        quiet = ctx.args != "off"
        await ctx.repo.set_quiet(ctx.group.id, ctx.sender, quiet)
        if quiet:
            return Reply(
                "OK, no more reminders for you: I will not mention you about missing updates "
                "or mail you any reminder. `!quiet off` undoes it."
            )
        return Reply(
            "OK, I will remind you again when your alliance's update is missing "
            "(and mail you reminders, where mail is set up). `!quiet` stops them."
        )
