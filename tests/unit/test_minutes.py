"""Minutes: golden files for a full and a minimal meeting, and injection tests.

Regenerate the golden files after an intended change with
`UPDATE_GOLDEN=1 pytest tests/unit/test_minutes.py`, then read the diff.
"""

import os
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.calendar.cadence import Meeting, meeting_key
from bot.meeting.agenda import ProposedItem, agenda_lines
from bot.meeting.minutes import (
    ActionView,
    MinutesData,
    Note,
    Person,
    UpdateView,
    compile_minutes,
    minutes_filename,
)
from bot.meeting.render import split_for_messages, to_html, to_plain

ROOM_PING = re.compile(r"@room\b", re.IGNORECASE)  # what bot.meeting.render.escape defuses
GOLDEN = Path(__file__).parent / "golden"
BRUSSELS = ZoneInfo("Europe/Brussels")
ANNA, BEN, CARLA, DORA = (f"@{n}:example.org" for n in ("anna", "ben", "carla", "dora"))


def meeting_at(local: datetime, minutes: int = 90) -> Meeting:
    start = local.replace(tzinfo=BRUSSELS)
    return Meeting(meeting_key(local), start, start + timedelta(minutes=minutes))


MEETING = meeting_at(datetime(2026, 3, 20, 11, 0))  # CET
NEXT = meeting_at(datetime(2026, 4, 3, 11, 0))  # CEST: the clocks change on 29 March


def action(number: int, text: str, owners: tuple[str, ...], **kwargs) -> ActionView:
    fields = {"due": None, "status": "open", "created_in": MEETING.key, **kwargs}
    return ActionView(number, text, owners, **fields)


def full_data() -> MinutesData:
    agenda = agenda_lines(
        [
            "Welcome and approval of the minutes of 6 March",
            "Tour de table: updates from the alliances",
            "Joint survey of lifelong-learning offers",
            "Any other business",
        ],
        [ProposedItem("Micro-credentials: sharing our frameworks", CARLA)],
    )
    return MinutesData(
        group_name="ALLIES",
        meeting=MEETING,
        chairs=(ANNA,),
        present=(
            Person(ANNA, "FORTHEM"),
            Person(BEN, "CIVIS"),
            Person(CARLA, "Una Europa"),
            Person("Maria Rossi"),
            Person(ANNA, "FORTHEM"),  # the chair who started also said !here
        ),
        apologies=((Person(DORA, "FORTHEM"), "travelling to the FORTHEM council in Valencia"),),
        agenda=tuple(agenda),
        updates=(
            UpdateView("FORTHEM", ANNA, "Our LLL strategy was adopted by the rectors' board."),
            UpdateView(
                "CIVIS",
                BEN,
                "Three things:\n1. new short courses on AI literacy open in May\n"
                "2. the staff exchange call closes on 30 April\n- and we hired a coordinator",
            ),
            UpdateView("Una Europa", CARLA, "Micro-credential pilot with 120 learners started."),
            UpdateView("FORTHEM", DORA, "Valencia hosts a summer school on adult education."),
        ),
        notes=(
            Note("info", "Minutes of 6 March approved without changes.", ANNA),
            Note("topic", "Micro-credentials: sharing our frameworks", ANNA),
            Note("info", "Una Europa and CIVIS use the EU common elements for credentials.", ANNA),
            Note("info", "FORTHEM is still drafting its framework.", BEN),
            Note("decision", "We compile a comparison of our frameworks by May.", ANNA),
            Note("topic", "Joint survey of lifelong-learning offers", ANNA),
            Note("info", "Maria Rossi (Commission) offered help with the questionnaire.", ANNA),
            Note("decision", "The survey goes out to all alliances on 15 April.", ANNA),
        ),
        new_actions=(
            action(12, "Draft the framework comparison template", (ANNA, "Maria Rossi")),
            action(13, "Send the survey to all alliances", (CARLA,), due=date(2026, 4, 15)),
        ),
        carried_actions=(
            action(
                9,
                "Collect contacts of every alliance's LLL office",
                (BEN,),
                due=date(2026, 3, 13),
                created_in="2026-03-06T11:00",
                overdue=True,
            ),
        ),
        next_meeting=NEXT,
    )


def minimal_data() -> MinutesData:
    return MinutesData(
        group_name="ALLIES",
        meeting=MEETING,
        chairs=(),
        present=(),
        apologies=(),
        agenda=(),
        updates=(UpdateView("CIVIS", BEN, "Nothing new from CIVIS this time."),),
        notes=(),
        new_actions=(),
        carried_actions=(),
        next_meeting=None,
        live=False,
    )


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs; see the module docstring"


@pytest.mark.parametrize(
    "name, make", [("minutes_full", full_data), ("minutes_minimal", minimal_data)]
)
def test_golden_markdown_and_html(name, make):
    markdown = compile_minutes(make())
    check_golden(f"{name}.md", markdown)
    check_golden(f"{name}.html", to_html(markdown) + "\n")


def test_full_minutes_read_right():
    markdown = compile_minutes(full_data())
    plain = to_plain(markdown)
    assert "3 alliances represented; 4 people (1 guest)." in plain
    assert "Friday 3 April 2026, 11:00–12:30 CEST (09:00–10:30 UTC)" in plain
    assert "Friday 20 March 2026, 11:00–12:30 CET (10:00–11:30 UTC)" in plain
    assert "due Fri 13 Mar 2026, **overdue**" in plain
    assert "Owners: @anna:example.org, Maria Rossi; no due date; open" in plain
    assert plain.count("@anna:example.org") == 4  # chair, present, update, owner: no duplicates
    assert "(proposed by @carla:example.org)" in plain
    assert "matrix.to" not in markdown


def test_sections_in_order():
    markdown = compile_minutes(full_data())
    titles = [line[3:] for line in markdown.splitlines() if line.startswith("## ")]
    assert titles == [
        "Present",
        "Apologies",
        "Agenda",
        "Member updates",
        "Notes",
        "Decisions",
        "Action items",
        "Next meeting",
    ]


ATTACKS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[disguised](https://evil.example)",
    "@room wake up",
    "[@anna:example.org](https://matrix.to/#/@anna:example.org)",
    "<https://evil.example>",
    "`code` and ```fence```",
    "# heading\n- bullet\n1. numbered\n> quote",
    "a | b | c\n|---|---|",
    "![img](https://evil.example/x.png)",
    "&lt;script&gt; &#60;img&#62;",
    "**bold** _em_ ~~strike~~\n\n    indented code",
]


def attacked_data(attack: str) -> MinutesData:
    """The same attack in every field that holds member text."""
    person = Person(attack, attack)
    return MinutesData(
        group_name=attack,
        meeting=MEETING,
        chairs=(attack,),
        present=(person, Person(attack + " guest")),
        apologies=((person, attack),),
        agenda=(attack, *agenda_lines([attack], [ProposedItem(attack, attack)])),
        updates=(UpdateView(attack, attack, attack),),
        notes=(Note("info", attack, attack), Note("topic", attack, attack)),
        new_actions=(ActionView(1, attack, (attack, attack), None, "open", attack),),
        carried_actions=(ActionView(2, attack, (attack,), date(2026, 1, 1), "open", attack, True),),
        next_meeting=NEXT,
    )


def assert_inert(markdown: str) -> None:
    html, plain = to_html(markdown), to_plain(markdown)
    for tag in ("<script", "<img", "<a ", "href", "<code", "<pre", "<blockquote", "<table"):
        assert tag not in html
    assert not ROOM_PING.search(html)
    assert not ROOM_PING.search(plain)
    assert html.count("<h1>") == 1


@pytest.mark.parametrize("attack", ATTACKS)
def test_member_text_is_inert(attack):
    assert_inert(compile_minutes(attacked_data(attack)))


def test_member_text_reads_back_in_plain():
    plain = to_plain(compile_minutes(attacked_data("[disguised](https://evil.example) a|b")))
    assert "1. [disguised](https://evil.example) a|b" in plain  # the agenda: text, not a link


def test_headings_and_lists_come_only_from_the_minutes():
    html = to_html(compile_minutes(attacked_data("# heading\n- bullet\n1. numbered")))
    assert "<h1>Minutes:" in html
    assert "<h1>heading" not in html
    assert "<li>bullet" not in html
    assert "<li>numbered" not in html


MARKDOWNY = ["<", ">", "[", "](", ")", "https://evil.example", "www.evil.example", "@", "room"]
MARKDOWNY += [
    "\n",
    "\r",
    " ",
    "    ",
    "#",
    "- ",
    "1. ",
    "|",
    "`",
    "\\",
    "*",
    "_",
    "!",
    "&#60;",
    "x",
]
member_text = st.text(max_size=60) | st.lists(st.sampled_from(MARKDOWNY), max_size=30).map("".join)
people = st.builds(Person, member_text, st.none() | member_text)
notes = st.builds(Note, st.sampled_from(["topic", "info", "decision"]), member_text, member_text)
actions = st.builds(
    ActionView,
    st.integers(1, 10_000),
    member_text,
    st.tuples(member_text) | st.tuples(member_text, member_text) | st.just(()),
    st.none() | st.dates(),
    st.sampled_from(["open", "done", "dropped"]),
    member_text,
    st.booleans(),
)
minutes_data = st.builds(
    MinutesData,
    group_name=member_text,
    meeting=st.just(MEETING),
    chairs=st.lists(member_text, max_size=2).map(tuple),
    present=st.lists(people, max_size=4).map(tuple),
    apologies=st.lists(st.tuples(people, member_text), max_size=2).map(tuple),
    agenda=st.lists(member_text, max_size=3).map(tuple),
    updates=st.lists(st.builds(UpdateView, member_text, member_text, member_text), max_size=3).map(
        tuple
    ),
    notes=st.lists(notes, max_size=5).map(tuple),
    new_actions=st.lists(actions, max_size=2).map(tuple),
    carried_actions=st.lists(actions, max_size=2).map(tuple),
    next_meeting=st.none() | st.just(NEXT),
    live=st.booleans(),
)


@settings(max_examples=200, deadline=None)
@given(minutes_data)
def test_any_member_text_compiles_to_inert_minutes(data):
    markdown = compile_minutes(data)
    html = to_html(markdown)
    for tag in ("<a ", "<img", "<script", "<h2>", "<h1>"):
        assert html.count(tag) == (1 if tag == "<h1>" else 8 if tag == "<h2>" else 0), tag
    assert not ROOM_PING.search(to_plain(markdown))
    assert not ROOM_PING.search(html)


@settings(deadline=None)
@given(minutes_data, st.integers(20, 400))
def test_split_chunks_fit_and_stay_inert(data, limit):
    markdown = compile_minutes(data)
    chunks = split_for_messages(markdown, limit)
    assert all(len(chunk) <= limit for chunk in chunks)
    assert "".join("".join(chunks).split()) == "".join(markdown.split())
    for chunk in chunks:
        assert "<a " not in to_html(chunk)


def test_split_keeps_short_minutes_whole_and_cuts_at_blocks():
    markdown = compile_minutes(full_data())
    assert split_for_messages(markdown, 16_000) == [markdown.strip("\n")]
    chunks = split_for_messages(markdown, 600)
    assert len(chunks) > 1
    assert "\n\n".join(chunks) == markdown.strip("\n")


def test_hard_cut_never_orphans_an_escape():
    chunks = split_for_messages("\\<https://evil.example\\>" * 3, 25)
    assert all((len(chunk) - len(chunk.rstrip("\\"))) % 2 == 0 for chunk in chunks)
    assert all("<a " not in to_html(chunk) for chunk in chunks)


def test_filename():
    assert minutes_filename("allies", NEXT) == "allies-minutes-2026-04-03.md"
    assert minutes_filename("../we ird", NEXT) == "we-ird-minutes-2026-04-03.md"
