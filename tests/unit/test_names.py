"""People by name: the config's names, the network's display names, ids last.

Through the real core, router, handlers and SQLite storage; display names
arrive as the Matrix adapter reports them (`IncomingKind.PROFILE`).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.chat.transport import Incoming, IncomingKind
from bot.config import ConfigError, load_config
from bot.meeting.people import Names, clean_display_name, names_for
from bot.runtime.poster import Poster
from tests.unit.fakes import CONFIG_WITH_CADENCE, ROOM, make_harness
from tests.unit.test_config import GOOD, write

ANNA, BO, CHAIR, VICE = (f"@{n}:example.org" for n in ("anna", "bo", "chair", "vice"))
NAMED = CONFIG_WITH_CADENCE.replace(
    'user = "@anna:example.org"\nalliance = "FORTHEM"',
    'user = "@anna:example.org"\nalliance = "FORTHEM"\nname = "Anna Svensson"',
).replace(
    "[groups.cadence]", '[groups.names]\n"@vice:example.org" = "Vera Vice"\n\n[groups.cadence]'
)


@pytest.fixture
async def named(tmp_path):
    harness = await make_harness(tmp_path, NAMED)
    yield harness
    await harness.core.storage.close()


async def display_name(harness, user: str, name: str) -> None:
    """As the Matrix adapter reports a member's display name."""
    event = Incoming(IncomingKind.PROFILE, f"profile:{user}", ROOM, user, harness.clock, name)
    assert await harness.deliver(event) == []  # nothing is said about it


def test_clean_display_name_keeps_one_short_printable_line():
    assert clean_display_name("  Bo \n Bergman\t") == "Bo Bergman"
    assert clean_display_name("\u202eevil\u202c name") == "evil name"  # no bidi overrides
    assert clean_display_name("x" * 200) == "x" * 63 + "…"
    assert clean_display_name("\u200b\n") is None and clean_display_name(None) is None


def test_configured_names_win_over_display_names(tmp_path):
    group = load_config(write(tmp_path, NAMED), require_matrix=False)
    names = names_for(group.groups[0], {ANNA: "anna_s", BO: "Bo B.", VICE: "vv"})
    assert (names.of(ANNA), names.of(BO), names.of(VICE)) == ("Anna Svensson", "Bo B.", "Vera Vice")
    assert names.of(CHAIR) == CHAIR and Names().of("Maria") == "Maria"


async def test_updates_actions_and_agenda_show_names(named):
    h = named
    await display_name(h, BO, "Bo Bergman")
    await h.say(ANNA, "!update pilot starts")
    await h.say(BO, "!update survey sent")
    [listing] = await h.say(ANNA, "!updates")
    assert "- Anna Svensson: pilot starts" in listing.body
    assert "- Bo Bergman: survey sent" in listing.body
    assert ANNA not in listing.body and BO not in listing.body
    [action] = await h.say(ANNA, "!action @bo:example.org,Maria send the survey")
    assert action.body.startswith("Action #1 Bo Bergman, Maria: send the survey")
    [actions] = await h.say(ANNA, "!actions")
    assert "#1 Bo Bergman, Maria: send the survey" in actions.body
    await h.say(ANNA, "!agenda add Erasmus+ call")
    [agenda] = await h.say(BO, "!agenda")
    assert "Erasmus+ call (proposed by Anna Svensson)" in agenda.body
    assert "Bo Bergman, Maria: send the survey" in agenda.body


async def test_a_changed_or_removed_display_name_is_followed(named):
    h = named
    await display_name(h, BO, "Bo")
    await display_name(h, BO, "Bo Bergman")
    await h.say(BO, "!update one")
    assert "- Bo Bergman: one" in (await h.say(BO, "!updates"))[0].body
    await display_name(h, BO, "")
    assert f"- {BO}: one" in (await h.say(BO, "!updates"))[0].body


async def test_a_hostile_display_name_stays_inert_text(named):
    h = named
    await display_name(h, BO, "[click](https://evil.example) @room <b>x</b>")
    await h.say(BO, "!update hello")
    [listing] = await h.say(BO, "!updates")
    assert "<b>" not in listing.html and "href" not in listing.html
    assert "@room" not in listing.html.replace("@\u2060room", "")
    assert listing.mentions == ()


async def test_minutes_name_people_present_excused_and_owning_actions(named):
    h = named
    await display_name(h, BO, "Bo Bergman")
    await h.say(CHAIR, "!startmeeting")
    await h.say(ANNA, "!here")
    await h.say(VICE, "!apologies travelling")
    await h.say(CHAIR, "!action @bo:example.org draft the paper")
    messages = await h.say(CHAIR, "!minutes")
    minutes = "\n".join(m.body for m in messages if m.file is None)
    assert "Anna Svensson" in minutes and "Vera Vice" in minutes
    assert "Bo Bergman" in minutes
    assert ANNA not in minutes and BO not in minutes and VICE not in minutes


@pytest.mark.parametrize(
    ("snippet", "problem"),
    [
        ('name = ""', "groups[0].members[0].name: must be a non-empty string"),
        ("name = 3", "groups[0].members[0].name: must be a non-empty string"),
        (f'name = "{"x" * 101}"', "groups[0].members[0].name: must be one line of at most 100"),
    ],
)
def test_bad_member_names_are_reported_by_key(tmp_path, snippet, problem):
    text = GOOD.replace('alliance = "FORTHEM"', f'alliance = "FORTHEM"\n{snippet}', 1)
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text), environ={})
    assert any(p.startswith(problem) for p in caught.value.problems), caught.value.problems


def test_bad_names_table_is_reported_by_key(tmp_path):
    text = GOOD + '\n[groups.names]\n"chair" = "Chris"\n"@vice:example.org" = ""\n'
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text), environ={})
    problems = "\n".join(caught.value.problems)
    assert "groups[0].names.chair: 'chair' is not a Matrix user ID" in problems
    assert "groups[0].names.@vice:example.org: must be a non-empty string" in problems


async def test_the_chase_mentions_people_by_name_and_pings_their_ids(named):
    h = named
    await display_name(h, BO, "Bo Bergman")
    h.clock = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)  # two days before 3 April, 11:00
    kinds = await Poster(h.core).run_due(h.config.groups[0].id)
    await h.core.outbox.flush()
    assert "2026-04-03T11:00:chase" in kinds
    [chase] = [m for _, m in h.transport.sent if "still missing" in m.body]
    assert "Anna Svensson" in chase.body and "Bo Bergman" in chase.body
    assert ANNA not in chase.body and f"https://matrix.to/#/{ANNA}" in chase.html
    assert set(chase.mentions) >= {ANNA, BO}


async def test_a_display_name_copying_a_colleagues_name_shows_the_id(named):
    h = named
    await display_name(h, BO, "Anna Svensson")  # Anna's configured name
    await h.say(ANNA, "!update pilot starts")
    await h.say(BO, "!update survey sent")
    [listing] = await h.say(ANNA, "!updates")
    assert "- Anna Svensson: pilot starts" in listing.body
    assert f"- Anna Svensson ({BO}): survey sent" in listing.body


async def test_the_chase_pill_of_a_hostile_name_is_inert(named):
    h = named
    await display_name(h, BO, "[x](https://evil.example) @room")
    h.clock = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
    await Poster(h.core).run_due(h.config.groups[0].id)
    await h.core.outbox.flush()
    [chase] = [m for _, m in h.transport.sent if "still missing" in m.body]
    assert 'href="https://evil.example' not in chase.html
    assert "@room" not in chase.body.replace("@\u2060room", "")
    assert BO in chase.mentions


async def test_people_attending_twice_under_one_name_stay_two(named):
    h = named
    await display_name(h, BO, "Anna Svensson")
    await h.say(CHAIR, "!startmeeting")
    await h.say(ANNA, "!here")
    await h.say(BO, "!here")
    messages = await h.say(CHAIR, "!minutes")
    minutes = "\n".join(m.body for m in messages if m.file is None)
    present = minutes.split("## Present")[1].split("##")[0]
    assert "Anna Svensson" in present and f"Anna Svensson ({BO})" in present
