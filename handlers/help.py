"""`!help`: the commands the sender may use, one line each."""

from bot.runtime.router import CommandContext, Reply, Role, Router


def register(router: Router) -> None:
    @router.command("help", role=Role.OUTSIDER, usage="!help", summary="this list")
    async def help_command(ctx: CommandContext) -> Reply:
        lines = [f"- `{c.usage}`: {c.summary}" for c in ctx.router.available_to(ctx.role)]
        heading = f"Commands you can use in {ctx.group.name}:"
        return Reply("\n".join([heading, "", *lines]))
