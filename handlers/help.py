"""`!help` and `!help <command>`: what the reader may use, by phase of the cycle.

Both come from the commands' own declarations (usage, summary, phase,
example, aliases), so the overview, the details and the usage line a wrong
call gets can never disagree.
"""

from __future__ import annotations

from bot.runtime.router import Command, CommandContext, Phase, Reply, Role, Router, UsageError


def register(router: Router) -> None:
    @router.command(
        "help",
        role=Role.OUTSIDER,
        usage="!help [command]",
        summary="the commands you may use; `!help <command>` explains one",
        phase=Phase.BEFORE,
        example="!help update",
    )
    async def help_command(ctx: CommandContext) -> Reply:
        if ctx.args:
            return Reply(_details(ctx, ctx.args))
        return Reply(_overview(ctx))


def _overview(ctx: CommandContext) -> str:
    """One short line per topic (or command family), under the phase it is
    used in; subcommands and aliases sit on their command's line."""
    available = [c for c in ctx.router.available_to(ctx.role) if c.name != "help"]
    names = {c.name for c in available}
    lines = [
        f"**Commands for you in {ctx.group.name}.** `!help <command>` explains one, "
        "e.g. `!help update`."
    ]
    for phase in Phase:
        families: dict[str, list[Command]] = {}
        for command in (c for c in available if c.phase is phase):
            families.setdefault(_line_key(command, names), []).append(command)
        if families:
            lines += ["", f"**{phase.value}**", *map(_line, families.values())]
    return "\n".join(lines)


def _line_key(command: Command, names: set[str]) -> str:
    """Its topic, else its family: `agenda add` shares `agenda`'s line."""
    first, _, rest = command.name.partition(" ")
    return command.topic or (first if rest and first in names else command.name)


def _line(family: list[Command]) -> str:
    """`- !agenda, !agenda add, !agenda remove: the next meeting's agenda`"""
    shown = ", ".join(
        f"`!{c.name}`" + "".join(f" (or `!{alias}`)" for alias in c.aliases) for c in family
    )
    # a topic names what its commands do together: one command alone (the
    # rest of its topic being for chairs) is described by its own summary
    about = family[0].topic if len(family) > 1 else None
    return f"- {shown}: {about or family[0].summary}"


def _details(ctx: CommandContext, text: str) -> str:
    """Everything about one command: usage, what it does, who may, an example."""
    word, _, rest = text.strip().removeprefix("!").partition(" ")
    name, leftover = ctx.router.resolve(word.lower(), rest.strip())
    command = ctx.router.get(name)
    if command is None and (family := ctx.router.subcommands(name)):
        return "\n".join(
            f"- **`{c.usage}`**: {c.summary}" + ("" if ctx.role >= c.role else f" ({c.role.who})")
            for c in family
        )
    if command is None:
        return ctx.router.unknown(name)
    if leftover:
        raise UsageError(f"I explain one command at a time, e.g. `!help {name}`.")
    lines = [f"**`{command.usage}`**: {command.summary}."]
    if command.aliases:
        lines.append("Also written " + ", ".join(f"`!{a}`" for a in command.aliases) + ".")
    yours = "" if ctx.role >= command.role else " (not you, in this group)"
    lines.append(f"Who may use it: {command.role.who}{yours}.")
    lines.append(f"Example: `{command.example}`")
    related = [c for c in ctx.router.subcommands(command.name) if c.role <= ctx.role]
    if related:
        lines.append("See also: " + ", ".join(f"`!help {c.name}`" for c in related) + ".")
    return "\n".join(lines)
