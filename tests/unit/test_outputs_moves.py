"""Moving outputs along planned → drafting → consultation → review → adopted →
published: the one rule (`check_move`) on its own for every pair of statuses,
then through the real core, router, handler and SQLite, where every refusal
leaves the history and the output exactly as they were."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.meeting.outputs import (
    ORDER,
    STATUSES,
    Move,
    Mover,
    check_move,
    status_sentence,
    status_text,
)
from bot.meeting.render import to_plain
from storage.models import Output, OutputChange
from tests.unit.fakes import make_harness
from tests.unit.test_names import NAMED

ANNA, BO, CHAIR, VICE = (f"@{n}:example.org" for n in ("anna", "bo", "chair", "vice"))
CHAIR_MOVER = Mover(chair=True, vice_chair=True, owner=False)
VICE_MOVER = Mover(chair=False, vice_chair=True, owner=False)
OWNER_MOVER = Mover(chair=False, vice_chair=False, owner=True)
MEMBER_MOVER = Mover(chair=False, vice_chair=False, owner=False)
PAIRS = [(a, b) for a in STATUSES for b in STATUSES if a != b]


@pytest.fixture
async def h(tmp_path):
    harness = await make_harness(tmp_path, NAMED)
    yield harness
    await harness.core.storage.close()


async def snapshot(h) -> tuple[list[tuple], list[tuple]]:
    """Every output row and every history row, as stored."""
    async with h.core.storage.transaction() as repo:
        outputs = (await repo.session.execute(select(Output).order_by(Output.id))).scalars()
        rows = [(o.id, o.status, o.owner, o.link) for o in outputs]
        changes = (await repo.session.execute(select(OutputChange))).scalars()
        history = [(c.output_id, c.status, c.note, c.changed_by) for c in changes]
    return rows, history


async def history(h, output_id: int = 1) -> list[tuple[str, str, str]]:
    _, rows = await snapshot(h)
    return [(status, note, by) for oid, status, note, by in rows if oid == output_id]


async def refused(h, sender: str, command: str, reason: str) -> str:
    """The command is refused with `reason` and nothing stored changes."""
    before = await snapshot(h)
    [reply] = await h.say(sender, command)
    assert reason in reply.body
    assert await snapshot(h) == before
    return reply.body


def _way(current: str, wanted: str) -> str:
    if "dropped" in (current, wanted):
        return "drop" if wanted == "dropped" else "revive"
    return "forward" if ORDER.index(wanted) > ORDER.index(current) else "back"


@pytest.mark.parametrize(("current", "wanted"), PAIRS)
def test_the_rule_for_every_pair_of_statuses(current, wanted):
    way = _way(current, wanted)
    allowed = {
        "forward": (CHAIR_MOVER, VICE_MOVER, OWNER_MOVER),
        "back": (CHAIR_MOVER, VICE_MOVER),
        "drop": (CHAIR_MOVER,),
        "revive": (CHAIR_MOVER,),
    }[way]
    for mover in (CHAIR_MOVER, VICE_MOVER, OWNER_MOVER, MEMBER_MOVER):
        if mover in allowed:
            assert check_move(3, current, wanted, "why", mover) == Move(3, current, wanted, way)
        else:
            with pytest.raises(ValueError, match=r"[Oo]nly"):
                check_move(3, current, wanted, "why", mover)


@pytest.mark.parametrize(("current", "wanted"), [p for p in PAIRS if _way(*p) == "back"])
def test_a_backward_move_needs_a_note_even_from_a_chair(current, wanted):
    with pytest.raises(ValueError, match=f"back from {current} to {wanted} needs a note"):
        check_move(3, current, wanted, "", CHAIR_MOVER)


@pytest.mark.parametrize("status", STATUSES)
def test_a_move_to_the_current_status_is_nothing_to_do(status):
    move = check_move(3, status, status, "", MEMBER_MOVER)
    assert move.way == "same"
    assert status_sentence(move, "") == f"#3 is already {status_text(status)}."


@pytest.mark.parametrize(
    ("current", "wanted", "note", "sentence"),
    [
        ("planned", "drafting", "", "#3 is now in drafting."),
        ("drafting", "consultation", "", "#3 is now with the Forum Board for consultation."),
        ("consultation", "review", "", "#3 is now in review by the General Forum."),
        ("review", "adopted", "", "#3 was adopted by the General Forum."),
        ("adopted", "published", "", "#3 is published."),
        ("planned", "published", "", "#3 is published."),
        ("review", "drafting", "back for rework", "#3 is back in drafting: back for rework."),
        ("published", "adopted", "a typo", "#3 is back to adopted, no longer published: a typo."),
        ("drafting", "dropped", "", "#3 was dropped."),
        ("dropped", "drafting", "", "#3 is taken up again, now in drafting."),
        ("drafting", "review", "sent *early*", "#3 is now in review by the General Forum. "),
    ],
)
def test_each_move_reads_as_a_sentence(current, wanted, note, sentence):
    move = check_move(3, current, wanted, note, CHAIR_MOVER)
    assert status_sentence(move, note).startswith(sentence)


def test_notes_in_sentences_are_escaped_and_end_once():
    move = check_move(3, "drafting", "review", "sent *early*.", CHAIR_MOVER)
    sentence = status_sentence(move, "sent *early*.")
    assert "sent \\*early\\*" in sentence  # member text never turns into Markdown
    assert to_plain(sentence) == "#3 is now in review by the General Forum. Note: sent *early*."
    back = check_move(3, "review", "drafting", "rework!", CHAIR_MOVER)
    assert to_plain(status_sentence(back, "rework!")) == "#3 is back in drafting: rework!"


async def test_outputs_no_longer_move_in_any_order(h):
    """The issue's sequence: consultation → published → review → adopted."""
    await h.say(ANNA, "!output add position-paper Micro-credentials owner bo")
    [consulted] = await h.say(BO, "!output 1 consultation")
    assert consulted.body == "#1 is now with the Forum Board for consultation."
    [published] = await h.say(BO, "!output 1 published")  # forward, several steps at once
    assert published.body == "#1 is published."
    await refused(h, BO, "!output 1 review", "only chairs and vice-chairs move an output back")
    await refused(h, CHAIR, "!output 1 review", "needs a note saying why")
    [back] = await h.say(CHAIR, "!output 1 review published too early")
    assert back.body == "#1 is back in review by the General Forum: published too early."
    [adopted] = await h.say(BO, "!output 1 adopted")
    assert adopted.body == "#1 was adopted by the General Forum."
    assert [(s, by) for s, _, by in await history(h)] == [
        ("planned", ANNA),
        ("consultation", BO),
        ("published", BO),
        ("review", CHAIR),
        ("adopted", BO),
    ]


async def test_the_member_who_adds_an_output_owns_it_and_moves_it_on(h):
    [added] = await h.say(ANNA, "!output add guideline RPL guide")
    assert "“RPL guide” (Anna Svensson): planned" in added.body
    rows, _ = await snapshot(h)
    assert rows == [(1, "planned", ANNA, None)]  # the sender's id, as `owner @anna:…` stores
    await refused(h, BO, "!output 1 drafting", "Only the owner of output #1")
    await refused(h, BO, "!output 1 link https://docs.example.org/1", "attach its link")
    [moved] = await h.say(ANNA, "!output 1 drafting")
    assert moved.body == "#1 is now in drafting."
    [linked] = await h.say(ANNA, "!output 1 link https://docs.example.org/1")
    assert "https://docs.example.org/1" in linked.body


async def test_owner_me_and_owner_someone_else(h):
    await h.say(BO, "!output add report Yearly report owner me")
    await h.say(BO, "!output add report Mapping owner anna")
    rows, _ = await snapshot(h)
    assert [owner for _, _, owner, _ in rows] == [BO, ANNA]
    await refused(h, BO, "!output 2 drafting", "Only the owner of output #2")
    assert (await h.say(ANNA, "!output 2 drafting"))[0].body == "#2 is now in drafting."


async def test_an_output_stored_without_an_owner_belongs_to_whoever_added_it(h):
    async with h.core.storage.transaction() as repo:
        await repo.add_output(
            group_id="allies",
            kind="report",
            title="From before owners were stored",
            due=None,
            owner=None,
            created_by=BO,
            event_id="$old",
            now=datetime(2026, 1, 5, 9, tzinfo=UTC),
        )
    await refused(h, ANNA, "!output 1 drafting", "Only the owner of output #1")
    assert (await h.say(BO, "!output 1 drafting"))[0].body == "#1 is now in drafting."
    [listing] = await h.say(ANNA, "!outputs")
    assert "“From before owners were stored” (@bo:example.org): in drafting" in listing.body


async def test_the_owner_moves_forward_but_never_back(h):
    await h.say(ANNA, "!output add case-study Alliances compared")
    await h.say(ANNA, "!output 1 review")
    await refused(h, ANNA, "!output 1 drafting back for rework", "only chairs and vice-chairs move")
    await refused(h, VICE, "!output 1 drafting", "needs a note saying why")
    [back] = await h.say(VICE, "!output 1 drafting back for rework")
    assert back.body == "#1 is back in drafting: back for rework."
    assert (await history(h))[-1] == ("drafting", "back for rework", VICE)


async def test_dropping_and_reviving_stay_with_the_chairs(h):
    await h.say(ANNA, "!output add other Workshop series")
    await refused(h, ANNA, "!output 1 dropped", "Only chairs drop an output")
    await refused(h, VICE, "!output 1 dropped", "Only chairs drop an output")
    assert (await h.say(CHAIR, "!output 1 dropped"))[0].body == "#1 was dropped."
    await refused(h, VICE, "!output 1 review", "Only chairs drop an output, or take one up again.")
    [revived] = await h.say(CHAIR, "!output 1 review")
    assert revived.body == "#1 is taken up again, now in review by the General Forum."


async def test_a_move_to_where_it_is_changes_nothing_even_with_a_note(h):
    await h.say(ANNA, "!output add report Yearly report")
    await h.say(ANNA, "!output 1 consultation")
    body = await refused(h, ANNA, "!output 1 consultation sent again", "#1 is already")
    assert body == "#1 is already with the Forum Board for consultation."


async def test_listings_use_the_same_words_as_the_sentences(h):
    for title in ("One", "Two", "Three", "Four"):
        await h.say(ANNA, f"!output add report {title}")
    await h.say(CHAIR, "!output 1 consultation")
    await h.say(CHAIR, "!output 2 review")
    await h.say(CHAIR, "!output 3 adopted")
    await h.say(CHAIR, "!output 4 published")
    [under_way] = await h.say(ANNA, "!outputs")
    assert "“One” (Anna Svensson): with the Forum Board for consultation" in under_way.body
    assert "“Two” (Anna Svensson): in review by the General Forum" in under_way.body
    assert "**Outputs** (2)" in under_way.body
    [every] = await h.say(ANNA, "!outputs all")
    assert "“Three” (Anna Svensson): adopted by the General Forum" in every.body
    assert "“Four” (Anna Svensson): published" in every.body


async def test_a_long_note_or_an_unknown_status_is_refused_before_any_rule(h):
    await h.say(ANNA, "!output add report Yearly report")
    await refused(h, ANNA, f"!output 1 drafting {'x' * 501}", "Notes are at most 500")
    await refused(h, BO, "!output 1 finished", "Unknown status `finished`")
