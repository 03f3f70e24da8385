"""`!subgroups`: the groups that report to this one, and their next meetings."""

from __future__ import annotations

from bot.meeting.agenda import describe_meeting
from bot.meeting.render import escape
from bot.runtime.calendars import current_meeting
from bot.runtime.router import CommandContext, Phase, Reply, Role, Router


def register(router: Router) -> None:
    @router.command(
        "subgroups",
        role=Role.OUTSIDER,
        usage="!subgroups",
        summary="the sub-groups and their next meetings",
        phase=Phase.RECORD,
    )
    async def subgroups(ctx: CommandContext) -> Reply:
        if not ctx.group.subgroups:
            return Reply(f"{escape(ctx.group.name)} has no sub-groups (`parent` in the config).")
        lines = []
        for sub in ctx.group.subgroups:
            _, upcoming = await current_meeting(ctx.repo, sub, ctx.now)
            when = describe_meeting(upcoming) if upcoming else "no meeting planned"
            lines.append(f"- **{escape(sub.name)}**: next meeting {when}")
        count = len(ctx.group.subgroups)
        return Reply(f"**Sub-groups of {escape(ctx.group.name)}** ({count})\n\n" + "\n".join(lines))
