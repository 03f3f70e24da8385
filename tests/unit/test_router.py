import pytest

from bot.router import CommandContext, Reply, Role, Router, UsageError, parse_command, role_of
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
