"""Fault suite (f, g, h) on the real core, router, handlers and SQLite:
fuzzed commands, the permission matrix, and injection in every message sent."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.runtime.core import FAILURE_REPLY
from bot.runtime.router import Role, parse_command
from handlers import build_router
from tests.unit.fakes import CONFIG_WITH_CADENCE, make_harness

pytestmark = pytest.mark.fault
ANNA, CHAIR, OUTSIDER = "@anna:example.org", "@chair:example.org", "@stranger:example.org"
# Every command the bot answers (aliases such as `!agreed` included), as the
# router lists them: a new command is fuzzed and injected without a word here.
COMMANDS = [n for c in build_router().available_to(max(Role)) for n in (c.name, *c.aliases)]
NAMES = [*COMMANDS, "nonsense"]
SAMPLES = [
    "",
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
    "2026",
    "1 drafting",
    "report Title owner anna due 1 June",
    "me",
    "me confirm",
]
# The sweep below runs every command; the random examples look further.
# ALLIES_FUZZ_EXAMPLES=20000 for a long hunt (the default takes seconds).
MAX_EXAMPLES = int(os.environ.get("ALLIES_FUZZ_EXAMPLES", "500"))
ARGS = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.sampled_from(SAMPLES),
)


CHARTS_ASKED: list[int] = []


async def _no_charts(_data):
    """The report's charts "fail": the report is compiled and sent as the bot
    sends it when its chart child process fails, without the seconds that
    child costs per `!report` (test_report_command.py draws real charts)."""
    CHARTS_ASKED.append(1)
    return None


@pytest.fixture(scope="module")
def fuzz_harness(tmp_path_factory):
    """One harness for every fuzzed command: its database fills up as it goes."""
    import asyncio

    import bot.runtime.charts

    loop = asyncio.new_event_loop()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bot.runtime.charts, "draw_charts", _no_charts)
        harness = loop.run_until_complete(
            make_harness(tmp_path_factory.mktemp("fuzz"), CONFIG_WITH_CADENCE)
        )
        # a record to report on, whichever commands run first (`-k report` alone too)
        loop.run_until_complete(harness.say(ANNA, "!update the record begins"))
        yield loop, harness
        loop.run_until_complete(harness.core.storage.close())
    loop.close()


def _answered_or_ignored(loop, h, sender: str, body: str) -> None:
    replies = loop.run_until_complete(h.say(sender, body))
    if parse_command(body) is None:
        assert replies == [], body
    else:
        assert replies, body
    assert all(FAILURE_REPLY not in r.body for r in replies), body


def test_the_fuzzed_commands_are_the_routers(fuzz_harness):
    _, h = fuzz_harness
    commands = h.core.router.available_to(max(Role))
    assert [n for c in commands for n in (c.name, *c.aliases)] == COMMANDS
    assert {"report", "output", "outputs", "privacy", "mydata", "forget", "subgroups"} <= {
        *COMMANDS
    }


@pytest.mark.parametrize("name", NAMES)
def test_every_command_with_every_sample(fuzz_harness, name):
    """Each command with every sample argument as a chair, and once as a
    member and an outsider: none is left to chance."""
    loop, h = fuzz_harness
    charts = len(CHARTS_ASKED)
    for args in SAMPLES:
        _answered_or_ignored(loop, h, CHAIR, f"!{name} {args}")
    for sender in (ANNA, OUTSIDER):
        _answered_or_ignored(loop, h, sender, f"!{name} 1 something")
    if name == "report":
        assert len(CHARTS_ASKED) > charts, "no !report got as far as its charts"


@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    name=st.sampled_from(NAMES),
    args=ARGS,
    sender=st.sampled_from([ANNA, CHAIR, OUTSIDER]),
    raw=st.booleans(),
)
def test_fuzzed_commands_are_answered_or_ignored_never_crash(fuzz_harness, name, args, sender, raw):
    loop, h = fuzz_harness
    _answered_or_ignored(loop, h, sender, args if raw else f"!{name} {args}")


async def test_permission_matrix(calendar_harness):
    h = calendar_harness
    restricted = [
        name
        for c in h.core.router.available_to(Role.CHAIR)
        if c.role >= Role.VICE_CHAIR
        for name in (c.name, *c.aliases)
    ]
    assert set(restricted) >= {
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
    for name in restricted:
        for who in (ANNA, OUTSIDER):
            [reply] = await h.say(who, f"!{name} 1 something")
            assert reply.body == f"Sorry, `!{name}` is for chairs and vice-chairs only."
    members_only = [c for c in h.core.router.available_to(Role.MEMBER) if c.role == Role.MEMBER]
    for command in members_only:
        [reply] = await h.say(OUTSIDER, f"!{command.name} x")
        assert reply.body == f"Sorry, `!{command.name}` is for members of the group only."
    await h.say(ANNA, "!update mine", "$anna-update")
    assert await h.edit("@bo:example.org", "$anna-update", "!update hijacked") == []
    await h.say(ANNA, "!action anna my task")
    [refused] = await h.say("@bo:example.org", "!done 1")
    assert "Only the owner of action #1" in refused.body
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


async def test_member_text_is_inert_in_every_message(calendar_harness, monkeypatch):
    """Member text everywhere it can go, then every command of the router
    with that text as its arguments and with none (listings, minutes, the
    report, the data export): nothing sent carries markup, links or
    mentions that the bot did not make itself."""
    import bot.runtime.charts

    monkeypatch.setattr(bot.runtime.charts, "draw_charts", _no_charts)  # config names only
    h = calendar_harness
    start = datetime(2026, 4, 3, 9, 0, tzinfo=UTC)
    h.clock = start - timedelta(days=1)
    for command in (
        f"!update {EVIL}",
        f"!agenda add {EVIL}",
        f"!action anna {EVIL}",
        f"!action edit 1 {EVIL}",
        f"!output add report {EVIL}",
        f"!apologies {EVIL}",
    ):
        await h.say(ANNA, command)
    h.clock = start
    await h.say(CHAIR, "!startmeeting")
    for command in (
        f"!output 1 drafting {EVIL}",
        f"!topic {EVIL}",
        f"!info {EVIL}",
        f"!decision {EVIL}",
        f"!skip 15 May {EVIL}",
        f"!meeting add 22 May 14:00 {EVIL}",
        "!endmeeting",
    ):
        await h.say(CHAIR, command)
    h.clock = start + timedelta(days=1)
    for name in COMMANDS:
        for who in (ANNA, CHAIR):
            await h.say(who, f"!{name} {EVIL}")
            await h.say(who, f"!{name}")
    sent = [message for _, message in h.transport.sent]
    assert len(sent) > 4 * len(COMMANDS)
    assert sum("onerror=alert(1)" in m.body for m in sent) >= 20  # the text did get out
    assert any(m.file is not None and m.file.name.endswith(".html") for m in sent)  # !report
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
        # Files a client or browser renders (the minutes, the report) are as
        # inert; a calendar or the JSON data export holds member text as data.
        if message.file is not None and message.file.mimetype in ("text/markdown", "text/html"):
            assert b"@room" not in message.file.data, message.file.name
        if message.file is not None and message.file.mimetype == "text/html":
            for bad in (b"<img", b"<script", b'href="https://evil'):
                assert bad not in message.file.data, (bad, message.file.name)
