"""Who `!action`'s words name: `me`, roster names, prefixes; what a trailing `due` is."""

from datetime import UTC, datetime

import pytest

from bot.meeting.actions import parse_action
from bot.meeting.owners import AmbiguousOwner, People
from bot.runtime.calendars import load_names
from tests.unit.fakes import CADENCE, CONFIG, make_harness

CHAIR, ANNA, BO, ASA = (f"@{n}:example.org" for n in ("chair", "anna", "bo", "asa"))
NAMED = (
    CONFIG.replace(
        'user = "@chair:example.org"', 'user = "@chair:example.org"\nname = "Chris Chair"'
    )
    .replace('user = "@anna:example.org"', 'user = "@anna:example.org"\nname = "Anna Svensson"')
    .replace('user = "@bo:example.org"', 'user = "@bo:example.org"\nname = "Bo Lindqvist"')
    + '[[groups.members]]\nuser = "@asa:example.org"\nalliance = "EUGLOH"\nname = "Anna Berg"\n'
    + CADENCE
)


@pytest.fixture
async def named(tmp_path):
    h = await make_harness(tmp_path, NAMED)
    h.clock = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    yield h
    await h.core.storage.close()


async def _people_of(h, sender: str = ANNA) -> People:
    group = h.config.groups[0]
    async with h.core.storage.transaction() as repo:
        return People.of(group, await load_names(repo, group), sender)


async def test_owner_words_name_roster_people(named):
    people = await _people_of(named)
    cases = {
        "me book the room": ((ANNA,), "book the room"),
        "Chris Chair prepare slides": ((CHAIR,), "prepare slides"),
        "chris prepare slides": ((CHAIR,), "prepare slides"),
        "LIND prepare slides": ((BO,), "prepare slides"),
        "me and Bo draft the paper": ((ANNA, BO), "draft the paper"),
        "me, Chris Chair draft it": ((ANNA, CHAIR), "draft it"),
        "bo,chris call EUCEN": ((BO, CHAIR), "call EUCEN"),
        "me and then some": ((ANNA,), "and then some"),
        "Maria call EUCEN": (("Maria",), "call EUCEN"),
        "@x:other.org ask": (("@x:other.org",), "ask"),
    }
    for text, (owners, task) in cases.items():
        parsed = parse_action(text, people)
        assert (parsed.owners, parsed.task) == (owners, task), text


async def test_a_name_two_people_answer_to_is_a_question(named):
    people = await _people_of(named)
    with pytest.raises(AmbiguousOwner, match="“Anna” could be Anna Svensson or Anna Berg"):
        parse_action("Anna send it", people)
    with pytest.raises(AmbiguousOwner, match="“ann” could be"):
        parse_action("ann send it", people)
    assert parse_action("Anna Berg send it", people).owners == (ASA,)
    assert parse_action("berg send it", people).owners == (ASA,)


async def test_only_a_trailing_due_with_a_date_is_a_due_date(named):
    h = named
    [reply] = await h.say(ANNA, "!action me review what is due to WP2")
    assert reply.body == (
        "Action #1 Anna Svensson: review what is due to WP2, no due date\n"
        "(“due to WP2” is not a date, so it stays in the task. "
        "A due date goes last, e.g. `due 15 January`.)"
    )
    [dated] = await h.say(ANNA, "!action Chris Chair check what is due to WP2 due 20 March")
    assert dated.body == "Action #2 Chris Chair: check what is due to WP2, due Fri 20 Mar 2026"
    [listing] = await h.say(BO, "!actions chris")
    assert "#2 Chris Chair" in listing.body and "#1" not in listing.body


async def test_a_name_not_on_the_roster_is_kept_and_flagged(named):
    [reply] = await named.say(ANNA, "!action Maria and me call EUCEN")
    assert reply.body == (
        "Action #1 Maria, Anna Svensson: call EUCEN, no due date\n"
        "“Maria” is not on the roster, so nobody will be reminded of it."
    )
    [question] = await named.say(ANNA, "!action anna send it")
    assert question.body == (
        "“anna” could be Anna Svensson or Anna Berg: say which, with the full name or the id."
    )
    [listing] = await named.say(ANNA, "!actions all")
    assert "#2" not in listing.body


async def test_done_on_a_closed_action_says_it_is_done(named):
    h = named
    await h.say(ANNA, "!action me book the room")
    [done] = await h.say(ANNA, "!done 1")
    assert done.body == "Done: #1 book the room"
    [again] = await h.say(ANNA, "!done 1")
    assert again.body == (
        "Action #1 “book the room” is already done (since Mon 2 Mar 2026); nothing changed."
    )
    [missing] = await h.say(ANNA, "!done 9")
    assert missing.body == "There is no action #9. See `!actions`."


async def test_editing_in_words_after_due_keeps_the_due_date(named):
    await named.say(ANNA, "!action me report to WP2 due 20 March")
    [changed] = await named.say(ANNA, "!action edit 1 check what is due to WP2")
    assert changed.body.startswith(
        "Changed: #1 Anna Svensson: check what is due to WP2, due Fri 20 Mar 2026\n"
    )


async def test_a_trailing_by_with_a_date_is_the_due_date(named):
    h = named  # Monday 2 March 2026
    [dated] = await h.say(ANNA, "!action me circulate the survey by 20 March")
    assert dated.body == "Action #1 Anna Svensson: circulate the survey, due Fri 20 Mar 2026"
    [words] = await h.say(ANNA, "!action Bo ask WP2 by email")
    assert words.body == "Action #2 Bo Lindqvist: ask WP2 by email, no due date"
    [last] = await h.say(ANNA, "!action me ask WP2 by email by Friday")
    assert last.body == "Action #3 Anna Svensson: ask WP2 by email, due Fri 6 Mar 2026"
    [edited] = await h.say(ANNA, "!action edit 2 ask WP2 by email by 27 March")
    assert edited.body.startswith("Changed: #2 Bo Lindqvist: ask WP2 by email, due Fri 27 Mar 2026")
    [after_due] = await h.say(ANNA, "!action me review what is due to WP2 by Friday")
    assert (
        after_due.body == "Action #4 Anna Svensson: review what is due to WP2, due Fri 6 Mar 2026"
    )


async def test_amounts_and_bare_figures_after_by_stay_in_the_task(named):
    h = named  # Monday 2 March 2026: each of these would read as a day
    tasks = [
        "postpone the workshop by 2 weeks",
        "shorten the meeting by a day",
        "extend the contract by 1 year",
        "raise the fee by 1.5",
        "cut costs by 12.5",
        "grow enrolment by 3.5%",
        "send it by 3/4",
        "have it done by now",
    ]
    for number, task in enumerate(tasks, start=1):
        [reply] = await h.say(ANNA, f"!action me {task}")
        assert reply.body == f"Action #{number} Anna Svensson: {task}, no due date", task
    [dated] = await h.say(ANNA, "!action me send it by 15.04.2026")
    assert dated.body == f"Action #{len(tasks) + 1} Anna Svensson: send it, due Wed 15 Apr 2026"
    [month_end] = await h.say(ANNA, "!action me close the survey by the end of the month")
    assert month_end.body.endswith(": close the survey, due Tue 31 Mar 2026")


async def test_editing_only_the_due_date_keeps_the_text(named):
    await named.say(ANNA, "!action me report to WP2 due 20 March")
    [moved] = await named.say(ANNA, "!action edit 1 due 27 March")
    assert moved.body == "Changed: #1 Anna Svensson: report to WP2, due Fri 27 Mar 2026"
    [by] = await named.say(ANNA, "!action edit 1 by 3 April")
    assert by.body == "Changed: #1 Anna Svensson: report to WP2, due Fri 3 Apr 2026"
    [refused] = await named.say(ANNA, "!action edit 1 due someday")
    assert refused.body.startswith('I could not use the due date: "someday" is not a date')
    [listing] = await named.say(ANNA, "!actions")
    assert "#1 Anna Svensson: report to WP2, due Fri 3 Apr 2026" in listing.body


async def test_a_listing_for_someone_names_whose_it_is(named):
    await named.say(ANNA, "!action Chris Chair send the draft")
    [chris] = await named.say(BO, "!actions chris")
    assert chris.body.startswith("**Action items of Chris Chair** (1)\n\n- #1 Chris Chair:")
    [nobody] = await named.say(BO, "!actions foo")
    assert nobody.body == "No open action items of foo (not on the roster)."
    [mine] = await named.say(BO, "!actions mine")
    assert mine.body == "No open action items of yours."
    [every] = await named.say(BO, "!actions")
    assert every.body.startswith("**Action items** (1)")
