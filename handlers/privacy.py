"""`!privacy`, `!mydata`, `!forget me [confirm]`: a person's rights over what
the bot stores about them (the GDPR's information, access and erasure).

Anyone in the room may use them, members or not: the bot may hold data
about anyone who spoke to it. `!mydata` answers privately, never in the room.
"""

from __future__ import annotations

from datetime import UTC

from bot.meeting.render import escape, plural
from bot.runtime.privacy import alliance_in, erase_person, erasure_receipt, export_person
from bot.runtime.ratelimit import Limit, take
from bot.runtime.router import CommandContext, OutgoingFile, Phase, Reply, Role, RoomPost, Router

CONFIRM = "confirm"
EXPORTS = Limit("mydata")
ERASURES = Limit("forget")


async def too_often(ctx: CommandContext, limit: Limit, asked: str) -> Reply | None:
    """The refusal when the sender has asked `limit.times` times within
    `limit.per` already (None: go ahead, and it is counted)."""
    again = await take(ctx.repo, limit, ctx.sender, ctx.now)
    if again is None:
        return None
    local = again.astimezone(ctx.group.timezone)
    return Reply(
        f"You {asked} {plural(limit.times, 'time')} in the last hour; you can ask again "
        f"at {local:%H:%M} ({again.astimezone(UTC):%H:%M} UTC)."
    )


def privacy_notice(ctx: CommandContext) -> str:
    privacy = ctx.group.privacy
    retention = privacy.retention
    kept = "for good" if retention.span is None else f"for {retention.words}, then aged out"
    lines = [escape(privacy.notice), f"What members write is kept {kept}."]
    if privacy.contact:
        lines.append(f"Questions or requests: {escape(privacy.contact)}.")
    if "!mydata" not in privacy.notice:  # the default notice says it already
        lines.append("`!mydata` sends you a copy privately; `!forget me` erases you.")
    return "\n\n".join(lines)


def register(router: Router) -> None:
    @router.command(
        "privacy",
        role=Role.OUTSIDER,
        usage="!privacy",
        summary="what the bot stores, and why",
        phase=Phase.PRIVACY,
        topic="what is stored, a copy of yours, erasure",
    )
    async def privacy(ctx: CommandContext) -> Reply:
        return Reply(privacy_notice(ctx))

    @router.command(
        "mydata",
        role=Role.OUTSIDER,
        usage="!mydata",
        summary="a copy of what is stored about you, sent privately",
        phase=Phase.PRIVACY,
        topic="what is stored, a copy of yours, erasure",
    )
    async def mydata(ctx: CommandContext) -> Reply:
        if refusal := await too_often(ctx, EXPORTS, "asked for a copy of your data"):
            return refusal
        groups = ctx.all_groups or (ctx.group,)
        document, summary = await export_person(ctx.repo, groups, ctx.sender, ctx.now)
        key = f"mydata:{ctx.event_id}"
        posts = (
            RoomPost(summary, f"{key}:summary"),
            RoomPost(
                "",
                f"{key}:file",
                file=OutgoingFile("my-data.json", "application/json", document.encode()),
            ),
        )
        return Reply(
            "I am sending you a copy of your data privately (a direct message from me).",
            private_posts=posts,
            private_to=ctx.sender,
        )

    @router.command(
        "forget",
        role=Role.OUTSIDER,
        usage="!forget me [confirm]",
        summary="erase what is stored about you (asks to confirm)",
        phase=Phase.PRIVACY,
        topic="what is stored, a copy of yours, erasure",
        example="!forget me",
    )
    async def forget(ctx: CommandContext) -> Reply:
        words = ctx.args.lower().split()
        if words[:1] != ["me"] or len(words) > 2 or words[1:] not in ([], [CONFIRM]):
            return Reply("To erase what I store about you, write `!forget me`.")
        if words[1:] != [CONFIRM]:
            return Reply(
                "This deletes the texts of your updates, notes and apologies and your "
                "proposed agenda items, and takes your name off action items, outputs and "
                'attendance: they stay in the group\'s record as "a former member" of your '
                "alliance, so its figures do not change. It cannot be undone. To go ahead, "
                "write `!forget me confirm`."
            )
        if refusal := await too_often(ctx, ERASURES, "asked me to erase your data"):
            return refusal
        groups = ctx.all_groups or (ctx.group,)
        done = await erase_person(ctx.repo, groups, ctx.sender)
        receipt = erasure_receipt(done, alliance_in(groups, ctx.sender))
        return Reply(
            f"Done. {escape(receipt)}\n\nWhile you are on the group's roster or in this "
            "room, what you write from now on is stored again: ask the chairs to take you "
            "off the roster, and leave the room."
        )
