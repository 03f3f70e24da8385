"""`!help` by phase, `!help <command>`, and commands that take no arguments."""

from __future__ import annotations

import re

from bot.runtime.router import Phase, Role
from handlers import build_router

CHAIR, ANNA, OUTSIDER = "@chair:example.org", "@anna:example.org", "@stranger:example.org"
SCREEN_LINES = 30  # what a chat window shows without scrolling, roughly


async def test_a_chairs_help_is_grouped_by_phase_and_fits_one_screen(calendar_harness):
    [reply] = await calendar_harness.say(CHAIR, "!help")
    lines = reply.body.splitlines()
    assert len(lines) <= SCREEN_LINES
    assert max(map(len, lines)) <= 100
    headings = [line.strip("*") for line in lines if line.startswith("**") and line.endswith("**")]
    assert headings == [phase.value for phase in Phase]
    router = build_router()
    for command in router.available_to(Role.CHAIR):
        names = (command.name, *command.aliases)
        for name in names if command.name != "help" else ():
            assert reply.body.count(f"`!{name}`") == 1, name
    assert "`!agreed` (or `!decision`)" in reply.body


async def test_help_lists_only_the_readers_commands(calendar_harness):
    [member] = await calendar_harness.say(ANNA, "!help")
    assert "`!update`" in member.body and "`!skip`" not in member.body
    assert "**In the meeting**" in member.body  # !info, !here, !undo
    [outsider] = await calendar_harness.say(OUTSIDER, "!help")
    assert "`!next`" in outsider.body and "`!update`" not in outsider.body
    assert "**In the meeting**" not in outsider.body


async def test_help_for_one_command_explains_it_with_an_example(calendar_harness):
    h = calendar_harness
    [skip] = await h.say(ANNA, "!help skip")
    assert skip.body.startswith("**`!skip <date> [time] [reason]`**: cancel the meeting")
    assert "Who may use it: chairs and vice-chairs (not you, in this group)." in skip.body
    assert "Example: `!skip 5 February 2027" in skip.body
    [two_words] = await h.say(CHAIR, "!help !agenda add")
    assert two_words.body.startswith("**`!agenda add <text>`**")
    assert "(not you" not in two_words.body
    [alias] = await h.say(CHAIR, "!help decision")
    assert "`!agreed <text>`" in alias.body and "Also written `!decision`." in alias.body
    [family] = await h.say(CHAIR, "!help agenda")
    assert "See also: `!help agenda add`, `!help agenda remove`." in family.body


async def test_help_refuses_what_it_cannot_explain(calendar_harness):
    h = calendar_harness
    [unknown] = await h.say(ANNA, "!help updaet")
    assert unknown.body.startswith("I don't know the command `!updaet`. Did you mean `!update`?")
    [two] = await h.say(ANNA, "!help update updates")
    assert two.body.startswith("I explain one command at a time, e.g. `!help update`.")


async def test_a_command_without_arguments_refuses_them_and_does_nothing(calendar_harness):
    h = calendar_harness
    [updates] = await h.say(ANNA, "!updates for next week")
    assert updates.body == (
        "`!updates` takes no arguments, so I did nothing. Type just `!updates`."
    )
    [agenda] = await h.say(ANNA, "!agenda Erasmus call")
    assert "Did you mean `!agenda add <text>` or `!agenda remove <n>`?" in agenda.body
    [started] = await h.say(CHAIR, "!startmeeting now please")
    assert "takes no arguments" in started.body
    [nothing] = await h.say(CHAIR, "!endmeeting")
    assert "no meeting" in nothing.body.lower() or "not running" in nothing.body.lower()


def test_every_command_declares_a_phase_and_a_real_example():
    router = build_router()
    for command in router.available_to(Role.CHAIR):
        assert isinstance(command.phase, Phase)
        name, args = router.resolve(*command.example.removeprefix("!").partition(" ")[::2])
        assert router.get(name) is command, command.example
        required = "<" in re.sub(r"\[[^\]]*\]", "", command.usage)
        if required:
            assert args.strip(), command.name
        if not command.takes_args:
            assert not args.strip(), command.name


async def test_update_replies_name_the_meeting_they_are_for(calendar_harness):
    h = calendar_harness
    [ack] = await h.say(ANNA, "!update Catalogue launched")
    assert ack.body == (
        "Thanks, your update for FORTHEM is recorded for the meeting of Friday 3 April 2026, "
        "11:00–12:00 CEST (09:00–10:00 UTC)."
    )
    [listing] = await h.say(ANNA, "!updates")
    assert listing.body.startswith("**Updates for the meeting of Friday 3 April 2026, 11:00")
    assert "(1 update)" in listing.body
    await h.say(CHAIR, "!startmeeting")
    [live] = await h.say(ANNA, "!updates")
    assert live.body.startswith("No updates yet for this meeting (running now).")


async def test_help_and_a_wrong_word_for_a_family_of_two_word_commands(calendar_harness):
    h = calendar_harness
    [help_meeting] = await h.say("@anna:example.org", "!help meeting")
    assert help_meeting.body.startswith("- **`!meeting add <date and time> [reason]`**: ")
    assert help_meeting.body.endswith("(chairs and vice-chairs)")
    [wrong] = await h.say("@anna:example.org", "!meeting list")
    assert wrong.body.startswith("`!meeting` goes with one of its words: `!meeting add ")
