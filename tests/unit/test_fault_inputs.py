"""Fault suite (f, g, h) on the real core, router, handlers and SQLite:
fuzzed commands, the permission matrix, and injection in every message sent."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.runtime.core import FAILURE_REPLY
from bot.runtime.router import Role, parse_command
from tests.unit.fakes import CONFIG_WITH_CADENCE, make_harness

pytestmark = pytest.mark.fault
ANNA, CHAIR, OUTSIDER = "@anna:example.org", "@chair:example.org", "@stranger:example.org"
NAMES = [
    "update",
    "updates",
    "help",
    "next",
    "schedule",
    "agenda",
    "agenda add",
    "agenda remove",
    "skip",
    "move",
    "meeting add",
    "action",
    "actions",
    "done",
    "action edit",
    "action drop",
    "startmeeting",
    "endmeeting",
    "topic",
    "info",
    "decision",
    "here",
    "apologies",
    "undo",
    "minutes",
    "ics",
    "quiet",
    "nonsense",
]
ARGS = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.sampled_from(
        [
            '"quoted \\"nested\\" words"',
            "<b>x</b>",
            "@room",
            "\x00\x1b[31m",
            "5 May",
            "in 2 weeks",
            "05/06/2026",
            "x" * 5000,
            "#1",
            "1 to 2",
            "due tomorrow",
        ]
    ),
)


@pytest.fixture(scope="module")
def fuzz_harness(tmp_path_factory):
    import asyncio

    loop = asyncio.new_event_loop()
    harness = loop.run_until_complete(
        make_harness(tmp_path_factory.mktemp("fuzz"), CONFIG_WITH_CADENCE)
    )
    yield loop, harness
    loop.run_until_complete(harness.core.storage.close())
    loop.close()


@settings(max_examples=10_000, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    name=st.sampled_from(NAMES),
    args=ARGS,
    sender=st.sampled_from([ANNA, CHAIR, OUTSIDER]),
    raw=st.booleans(),
)
def test_fuzzed_commands_are_answered_or_ignored_never_crash(fuzz_harness, name, args, sender, raw):
    loop, h = fuzz_harness
    body = args if raw else f"!{name} {args}"
    replies = loop.run_until_complete(h.say(sender, body))
    if parse_command(body) is None:
        assert replies == []
    else:
        assert replies, body
    assert all(FAILURE_REPLY not in r.body for r in replies), body


async def test_permission_matrix(calendar_harness):
    h = calendar_harness
    restricted = [c for c in h.core.router.available_to(Role.CHAIR) if c.role >= Role.VICE_CHAIR]
    assert {c.name for c in restricted} >= {
        "skip",
        "move",
        "meeting add",
        "agenda remove",
        "startmeeting",
        "endmeeting",
        "topic",
        "decision",
        "agreed",
        "minutes",
        "action drop",
    }
    for command in restricted:
        for who in (ANNA, OUTSIDER):
            [reply] = await h.say(who, f"!{command.name} 1 something")
            assert reply.body == f"Sorry, `!{command.name}` is for chairs and vice-chairs only."
    members_only = [c for c in h.core.router.available_to(Role.MEMBER) if c.role == Role.MEMBER]
    for command in members_only:
        [reply] = await h.say(OUTSIDER, f"!{command.name} x")
        assert reply.body == f"Sorry, `!{command.name}` is for members of the group only."
    await h.say(ANNA, "!update mine", "$anna-update")
    assert await h.edit("@bo:example.org", "$anna-update", "!update hijacked") == []
    await h.say(ANNA, "!action anna my task")
    [refused] = await h.say("@bo:example.org", "!done 1")
    assert "Only the owners of action #1" in refused.body
    [chair_may] = await h.say(CHAIR, "!done 1")
    assert chair_may.body.startswith("Done: #1")


EVIL = (
    "<img src=x onerror=alert(1)> <script>alert(1)</script> @room [click me](https://evil.example) "
    '<a href="https://matrix.to/#/@chair:example.org">Chair</a> https://evil.example/x '
    "![pixel](https://evil.example/p.png) `code` **bold** # heading"
)
ALLOWED_LINK = re.compile(
    r'<a href="(https://meet\.example\.org/allies|https://matrix\.to/#/@[a-z]+:example\.org)">'
)


async def test_member_text_is_inert_in_every_message(calendar_harness):
    h = calendar_harness
    start = datetime(2026, 4, 3, 9, 0, tzinfo=UTC)
    h.clock = start - timedelta(days=1)
    for command in (
        f"!update {EVIL}",
        f"!agenda add {EVIL}",
        f"!action anna {EVIL}",
        f"!apologies {EVIL}",
        "!agenda",
        "!updates",
        "!actions",
    ):
        await h.say(ANNA, command)
    h.clock = start
    await h.say(CHAIR, "!startmeeting")
    for command in (
        f"!topic {EVIL}",
        f"!info {EVIL}",
        f"!decision {EVIL}",
        f"!skip 15 May {EVIL}",
        f"!meeting add 22 May 14:00 {EVIL}",
        "!endmeeting",
        "!minutes",
        "!schedule",
    ):
        await h.say(CHAIR, command)
    sent = [message for _, message in h.transport.sent]
    assert len(sent) > 15
    for message in sent:
        html = ALLOWED_LINK.sub("", message.html)
        for bad in ("<img", "<script", "<a ", "<h1>heading", "<strong>bold", "<code>code"):
            assert bad not in html, (bad, message.body[:200])
        assert "@room" not in message.body and "@room" not in message.html
        assert set(message.mentions) <= {
            "@anna:example.org",
            "@bo:example.org",
            "@chair:example.org",
        }
        if message.file is not None:
            assert b"@room" not in message.file.data
