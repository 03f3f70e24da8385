"""`!web`, `!web email` and `!web signout`: the group's archive in the
browser, signed in by a one-time link sent privately (`bot.runtime.web_access`):
by a direct message, or by e-mail to the address on the roster."""

from __future__ import annotations

from bot.runtime.router import (
    CommandContext,
    MailPost,
    Phase,
    Reply,
    Role,
    RoomPost,
    Router,
    UsageError,
)
from bot.runtime.web_access import LINK_LIFETIME, LINKS_PER_HOUR, issue_link, readable_groups

USAGE = "Use `!web` for a sign-in link, `!web email` to get it by e-mail, or `!web signout`."


def register(router: Router) -> None:
    @router.command(
        "web",
        role=Role.MEMBER,
        usage="!web [email|signout]",
        summary="a private sign-in link to the group's archive in your browser",
        phase=Phase.RECORD,
        topic="the group's record on the web",
        example="!web",
    )
    async def web_command(ctx: CommandContext) -> Reply:
        if ctx.args not in ("", "email", "signout"):
            raise UsageError(USAGE)
        if ctx.web is None:
            return Reply("This bot has no web archive (its operator has not set up `[web]`).")
        if ctx.args == "signout":
            return await _sign_out(ctx)
        if ctx.args == "email" and (refusal := _no_mail(ctx)) is not None:
            return Reply(refusal)
        token = await issue_link(ctx.repo, ctx.sender, ctx.now)
        if token is None:
            return Reply(
                f"You asked for {LINKS_PER_HOUR} sign-in links in the last hour; please use "
                "one of those, or ask again later."
            )
        text = _link_text(ctx, token)
        if ctx.args == "email":
            mail = MailPost(
                "signin",
                ctx.group.id,
                f"web:{ctx.event_id}",
                f"Your sign-in link to the {ctx.group.name} archive",
                text,
                people=(ctx.sender,),
                asked=True,
            )
            return Reply(
                "I am e-mailing you a sign-in link, to your address on the group's roster.",
                mails=(mail,),
            )
        return Reply(
            "I am sending you a sign-in link privately (a direct message from me).",
            private_posts=(RoomPost(text, f"web:{ctx.event_id}"),),
            private_to=ctx.sender,
        )


async def _sign_out(ctx: CommandContext) -> Reply:
    ended = await ctx.repo.end_web_sessions(ctx.sender)
    if not ended:
        return Reply("You were not signed in anywhere; nothing changed.")
    what = "session" if ended == 1 else f"{ended} sessions"
    return Reply(f"Signed out: I ended your {what} in the browser.")


def _no_mail(ctx: CommandContext) -> str | None:
    """Why `!web email` cannot send, or None when it can."""
    if not ctx.mails:
        return (
            "This bot sends no e-mail (its operator has not set up `[email]`); `!web` "
            "sends the link as a direct message."
        )
    if ctx.group.mail_address_of(ctx.sender) is None:
        return (
            "The group has no e-mail address for you (ask a chair to add `email` to your "
            "roster line); `!web` sends the link as a direct message."
        )
    return None


def _link_text(ctx: CommandContext, token: str) -> str:
    assert ctx.web is not None
    groups = readable_groups(ctx.all_groups or (ctx.group,), ctx.sender)
    names = ", ".join(g.name for g in groups)
    minutes = int(LINK_LIFETIME.total_seconds() // 60)
    return (
        f"Your sign-in link to the archive of {names}: {ctx.web.url(f'/signin/{token}')}\n\n"
        f"It works once, for {minutes} minutes, and signs in the browser you open it "
        "in for 30 days. Do not pass it on: it opens the group's minutes as you."
    )
