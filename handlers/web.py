"""`!web` and `!web signout`: the group's archive in the browser, signed in by
a one-time link sent privately (`bot.runtime.web_access`)."""

from __future__ import annotations

from bot.runtime.router import CommandContext, Phase, Reply, Role, RoomPost, Router, UsageError
from bot.runtime.web_access import LINK_LIFETIME, LINKS_PER_HOUR, issue_link, readable_groups


def register(router: Router) -> None:
    @router.command(
        "web",
        role=Role.MEMBER,
        usage="!web [signout]",
        summary="a private sign-in link to the group's archive in your browser",
        phase=Phase.RECORD,
        topic="the group's record on the web",
        example="!web",
    )
    async def web_command(ctx: CommandContext) -> Reply:
        if ctx.args not in ("", "signout"):
            raise UsageError("Use `!web` for a sign-in link or `!web signout` to sign out.")
        if ctx.web is None:
            return Reply("This bot has no web archive (its operator has not set up `[web]`).")
        if ctx.args == "signout":
            ended = await ctx.repo.end_web_sessions(ctx.sender)
            if not ended:
                return Reply("You were not signed in anywhere; nothing changed.")
            return Reply(f"Signed out: I ended your {_sessions(ended)} in the browser.")
        token = await issue_link(ctx.repo, ctx.sender, ctx.now)
        if token is None:
            return Reply(
                f"You asked for {LINKS_PER_HOUR} sign-in links in the last hour; please use "
                "one of those, or ask again later."
            )
        groups = readable_groups(ctx.all_groups or (ctx.group,), ctx.sender)
        names = ", ".join(g.name for g in groups)
        minutes = int(LINK_LIFETIME.total_seconds() // 60)
        link = ctx.web.url(f"/signin/{token}")
        text = (
            f"Your sign-in link to the archive of {names}: {link}\n\n"
            f"It works once, for {minutes} minutes, and signs in the browser you open it "
            "in for 30 days. Do not pass it on: it opens the group's minutes as you."
        )
        return Reply(
            "I am sending you a sign-in link privately (a direct message from me).",
            private_posts=(RoomPost(text, f"web:{ctx.event_id}"),),
            private_to=ctx.sender,
        )


def _sessions(count: int) -> str:
    return "session" if count == 1 else f"{count} sessions"
