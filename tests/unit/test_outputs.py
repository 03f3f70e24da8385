"""Outputs through the real core, router, handlers and SQLite storage: adding,
moving through Forum Board consultation and General Forum review, who may,
agendas and minutes, and bad input that stores nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.meeting.outputs import KINDS, parse_add
from bot.meeting.owners import People
from bot.runtime.poster import Poster
from storage.models import Output, OutputChange
from tests.unit.fakes import make_harness
from tests.unit.test_names import NAMED, display_name

ANNA, BO, CHAIR, VICE = (f"@{n}:example.org" for n in ("anna", "bo", "chair", "vice"))


@pytest.fixture
async def h(tmp_path):
    harness = await make_harness(tmp_path, NAMED)
    yield harness
    await harness.core.storage.close()


async def counts(h) -> tuple[int, int]:
    async with h.core.storage.transaction() as repo:
        outputs = await repo.session.scalar(select(func.count()).select_from(Output))
        changes = await repo.session.scalar(select(func.count()).select_from(OutputChange))
    return outputs, changes


async def test_an_output_is_added_and_moves_to_adoption_with_its_history(h):
    [added] = await h.say(
        ANNA, "!output add position-paper Micro-credentials in ULLL due 15.06.2026 owner bo"
    )
    assert added.body.startswith(
        "Output #1 position paper “Micro-credentials in ULLL” (@bo:example.org): planned, "
        "due Mon 15 Jun 2026"
    )
    [moved] = await h.say(BO, "!output 1 consultation sent to the Forum Board")
    assert (
        moved.body
        == "#1 is now with the Forum Board for consultation. Note: sent to the Forum Board."
    )
    await h.say(VICE, "!output 1 review")
    await h.say(CHAIR, "!output 1 adopted at the General Forum")
    [linked] = await h.say(BO, "!output 1 link https://teams.example.org/doc/42")
    assert "https://teams.example.org/doc/42" in linked.body
    assert (await h.say(ANNA, "!outputs"))[0].body.startswith("No outputs yet")
    [every] = await h.say(ANNA, "!outputs all")
    assert "#1 position paper “Micro-credentials in ULLL”" in every.body and "adopted" in every.body
    async with h.core.storage.transaction() as repo:
        history = await repo.output_changes("allies", datetime(2000, 1, 1, tzinfo=UTC))
    assert [(c.status, c.changed_by) for c in history] == [
        ("planned", ANNA),
        ("consultation", BO),
        ("review", VICE),
        ("adopted", CHAIR),
        ("adopted", BO),  # the link
    ]
    assert history[1].note == "sent to the Forum Board"


async def test_who_may_move_an_output_on(h):
    await h.say(ANNA, "!output add guideline RPL guide owner bo")
    [refused] = await h.say(ANNA, "!output 1 drafting")
    assert "Only the owner of output #1, the chairs or vice-chairs move it on." in refused.body
    [owner_drops] = await h.say(BO, "!output 1 dropped")
    assert "Only chairs drop an output" in owner_drops.body
    [dropped] = await h.say(CHAIR, "!output 1 dropped no longer needed")
    assert dropped.body == "#1 was dropped. Note: no longer needed."
    [revived] = await h.say(BO, "!output 1 drafting")
    assert "Only chairs drop an output, or take one up again." in revived.body
    outsider = await h.say("@guest:elsewhere.org", "!output add report x")
    assert "members of the group only" in outsider[0].body


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        ("!output add poem Ode to ULLL", "Unknown kind `poem`"),
        ("!output add report", "Give the output's title after its kind."),
        ("!output add report Yearly report due someday soonish", "I could not use the due date"),
        ("!output add report Yearly report due 1.1.2020", "in the past"),
        ("!output 7 drafting", "There is no output #7."),
        ("!output 1 finished", "Unknown status `finished`"),
        ("!output 1 link javascript:alert(1)", "Give a web address starting with https://"),
        ("!output one drafting", "Give the output's number"),
        ("!output 1 planned", "#1 is already planned."),
        ("!outputs mine", "Did you mean `!outputs all`?"),
    ],
)
async def test_bad_input_gets_a_clear_answer_and_stores_nothing(h, command, answer):
    await h.say(CHAIR, "!output add report Yearly report to WP2")
    before = await counts(h)
    [reply] = await h.say(CHAIR, command)
    assert answer in reply.body
    assert await counts(h) == before


async def test_agendas_list_outputs_due_before_the_meeting_or_awaiting_a_decision(h):
    await display_name(h, BO, "Bo Bergman")
    await h.say(ANNA, "!output add position-paper Due soon due 20.03.2026 owner bo")
    await h.say(ANNA, "!output add guideline Due later due 30.06.2026")
    await h.say(ANNA, "!output add case-study In review")
    await h.say(CHAIR, "!output 3 review")
    [agenda] = await h.say(ANNA, "!agenda")  # next meeting: Fri 3 April 2026
    section = agenda.body.split("Outputs due or awaiting a decision")[1]
    assert "#1 position paper “Due soon” (Bo Bergman): planned, due Fri 20 Mar 2026" in section
    assert "#3 case study “In review” (Anna Svensson): in review by the General Forum" in section
    assert "Due later" not in section
    h.clock = datetime(2026, 3, 27, 10, 0, tzinfo=UTC)  # the agenda post, a week ahead
    await Poster(h.core).run_due(h.config.groups[0].id)
    await h.core.outbox.flush()
    [posted] = [m for _, m in h.transport.sent if m.body.startswith("**Agenda:")]
    assert "Due soon" in posted.body and "In review" in posted.body


async def test_minutes_list_the_steps_since_the_last_meeting(h):
    h.clock = datetime(2026, 3, 30, 9, 0, tzinfo=UTC)
    await h.say(ANNA, "!output add position-paper Micro-credentials")
    await h.say(CHAIR, "!output 1 consultation sent on Monday")
    h.clock = datetime(2026, 4, 3, 9, 5, tzinfo=UTC)  # during the meeting of 3 April
    await h.say(CHAIR, "!startmeeting")
    messages = await h.say(CHAIR, "!minutes")
    minutes = "\n".join(m.body for m in messages if m.file is None)
    outputs = minutes.split("## Outputs")[1].split("##")[0]
    assert "position paper “Micro-credentials”: added (Anna Svensson, 30 Mar)" in outputs
    assert (
        "with the Forum Board for consultation (@chair:example.org, 30 Mar): sent on Monday"
        in outputs
    )


def test_kinds_and_clauses_parse_in_either_order():
    people = People(sender="@a:b")
    draft = parse_add("best-practice Peer review due next Friday owner Maria", people)
    assert (draft.kind, draft.title, draft.due_text, draft.owner) == (
        "best-practice",
        "Peer review",
        "next Friday",
        "Maria",
    )
    assert parse_add("other x owner @a:b due 1 May", People(sender="@c:d")).due_text == "1 May"
    assert parse_add("other x", People(sender="@c:d")).owner == "@c:d"
    assert "application" in KINDS


async def test_owner_in_a_title_stays_in_the_title(h):
    [added] = await h.say(ANNA, "!output add guideline Role of the data owner in ULLL")
    assert "“Role of the data owner in ULLL” (Anna Svensson): planned" in added.body
    [owned] = await h.say(ANNA, "!output add guideline Peer review owner Maria")
    assert "“Peer review” (Maria)" in owned.body


async def test_a_title_over_several_lines_becomes_one_list_line(h):
    await h.say(ANNA, "!output add report Yearly\n\nreport    to WP2")
    [listing] = await h.say(ANNA, "!outputs")
    assert "“Yearly report to WP2”" in listing.body


async def test_minutes_show_only_the_steps_between_the_meetings(h):
    h.clock = datetime(2026, 2, 10, 9, 0, tzinfo=UTC)  # before the meeting of 20 Feb
    await h.say(ANNA, "!output add other Too early")
    h.clock = datetime(2026, 3, 30, 9, 0, tzinfo=UTC)  # between 20 Feb and 3 April
    await h.say(ANNA, "!output add other In time")
    h.clock = datetime(2026, 4, 3, 11, 0, tzinfo=UTC)  # after the 3 April meeting ended
    await h.say(ANNA, "!output add other Too late")
    messages = await h.say(CHAIR, "!minutes")
    minutes = "\n".join(m.body for m in messages if m.file is None)
    assert ("# Minutes" in minutes and "Fri 3 Apr" in minutes) or "3 April 2026" in minutes
    outputs = minutes.split("## Outputs")[1].split("##")[0]
    assert "In time" in outputs
    assert "Too early" not in outputs and "Too late" not in outputs
