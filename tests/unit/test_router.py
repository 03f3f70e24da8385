import pytest

from bot.runtime.router import (
    CommandContext,
    MessageChange,
    Reply,
    Role,
    Router,
    UsageError,
    parse_command,
    role_of,
)
from tests.unit.fakes import ROOM


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("!help", ("help", "")),
        ("!Update  hello world ", ("update", "hello world")),
        ("  !update\nline one\nline two", ("update", "line one\nline two")),
        ("!update", ("update", "")),
        ("hello !update", None),
        ("!!!", None),
        ("! update", None),
        ("!", None),
        ("", None),
    ],
)
def test_parse_command(body, expected):
    assert parse_command(body) == expected


def test_roles_from_config(harness):
    group = harness.config.groups[0]
    assert role_of(group, "@chair:example.org") is Role.CHAIR
    assert role_of(group, "@vice:example.org") is Role.VICE_CHAIR
    assert role_of(group, "@anna:example.org") is Role.MEMBER
    assert role_of(group, "@someone:else.org") is Role.OUTSIDER


async def _ctx(harness, sender, role, router):
    async with harness.core.storage.transaction() as repo:
        return CommandContext(
            harness.config.groups[0], sender, role, "", "$x", ROOM, harness.clock, repo, router
        )


async def test_router_refuses_by_role_and_explains_usage(harness):
    router = Router()

    @router.command("close", role=Role.VICE_CHAIR, usage="!close <n>", summary="close")
    async def close(ctx: CommandContext) -> Reply:
        if not ctx.args:
            raise UsageError("Which one?")
        return Reply("closed")

    member = await _ctx(harness, "@anna:example.org", Role.MEMBER, router)
    assert (await router.dispatch(member, "close")).markdown == (
        "Sorry, `!close` is for chairs and vice-chairs only."
    )
    vice = await _ctx(harness, "@vice:example.org", Role.VICE_CHAIR, router)
    assert (await router.dispatch(vice, "close")).markdown == "Which one?\n\nUsage: `!close <n>`"
    assert [c.name for c in router.available_to(Role.MEMBER)] == []
    assert [c.name for c in router.available_to(Role.CHAIR)] == ["close"]


def test_registering_twice_is_an_error():
    router = Router()

    async def handler(ctx):
        return Reply("x")

    router.command("x", role=Role.MEMBER, usage="!x", summary="x")(handler)
    with pytest.raises(ValueError, match="registered twice"):
        router.command("x", role=Role.MEMBER, usage="!x", summary="x")(handler)


async def test_edits_and_redactions_go_to_the_command_that_declared_them(harness):
    """The router, not the core, knows what an edit means: the first command
    whose `on_edit` claims the message answers; others are never asked."""
    router = Router()
    seen: list[tuple[str, str, tuple[str, str] | None]] = []

    async def claim_own(change: MessageChange) -> Reply | None:
        seen.append(("edit", change.ctx.event_id, change.command))
        return Reply("note changed") if change.ctx.event_id == "$note" else None

    async def drop_own(change: MessageChange) -> Reply | None:
        seen.append(("redact", change.ctx.event_id, change.command))
        return Reply("note dropped") if change.ctx.event_id == "$note" else None

    @router.command(
        "note",
        role=Role.MEMBER,
        usage="!note <text>",
        summary="n",
        on_edit=claim_own,
        on_redact=drop_own,
    )
    async def note(ctx: CommandContext) -> Reply:
        return Reply(f"noted {ctx.args} for {ctx.event_id}")

    @router.command("ping", role=Role.MEMBER, usage="!ping", summary="p")
    async def ping(ctx: CommandContext) -> Reply:
        return Reply("pong")

    def change(event_id: str, command: tuple[str, str] | None, ctx) -> MessageChange:
        ctx.event_id = event_id
        return MessageChange(ctx, command, harness.clock)

    ctx = await _ctx(harness, "@anna:example.org", Role.MEMBER, router)
    assert (await router.dispatch_edit(change("$note", ("note", "v2"), ctx))).markdown == (
        "note changed"
    )
    # an unclaimed message edited into a command that accepts edits runs it
    reply = await router.dispatch_edit(change("$typo", ("note", "late"), ctx))
    assert reply.markdown == "noted late for $typo"
    # edits into commands without `on_edit`, or into no command, mean nothing
    assert await router.dispatch_edit(change("$other", ("ping", ""), ctx)) is None
    assert await router.dispatch_edit(change("$other", None, ctx)) is None
    assert (await router.dispatch_redaction(change("$note", None, ctx))).markdown == "note dropped"
    assert await router.dispatch_redaction(change("$other", None, ctx)) is None
    assert [kind for kind, _, _ in seen] == ["edit", "edit", "edit", "edit", "redact", "redact"]


async def test_an_outsider_editing_a_message_into_a_command_is_refused(harness):
    router = Router()

    async def never_mine(change: MessageChange) -> Reply | None:
        return None

    @router.command("note", role=Role.MEMBER, usage="!note <text>", summary="n", on_edit=never_mine)
    async def note(ctx: CommandContext) -> Reply:
        return Reply("noted")

    ctx = await _ctx(harness, "@someone:else.org", Role.OUTSIDER, router)
    reply = await router.dispatch_edit(MessageChange(ctx, ("note", "x"), harness.clock))
    assert reply.markdown == "Sorry, `!note` is for members of the group only."
