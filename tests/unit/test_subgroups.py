"""Sub-groups: config (`parent`, inherited rosters, bad parents and circles),
the parent's agenda filled with what each sub-group did, and `!subgroups`.
Through the real core, router, handlers and SQLite storage."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.chat.matrix.transport import MatrixTransport
from bot.chat.teams.ids import message_link
from bot.chat.transport import Incoming, IncomingKind
from bot.config import ConfigError, load_config
from tests.unit.fakes import CONFIG_WITH_CADENCE, make_harness
from tests.unit.test_config import write

SUB_ROOM = "!recognition:example.org"
ANNA, BO, CHAIR = "@anna:example.org", "@bo:example.org", "@chair:example.org"
SUBGROUP = f"""
[[groups]]
id = "recognition"
name = "Recognition of prior learning"
room = "{SUB_ROOM}"
parent = "allies"
chairs = ["{ANNA}"]
[groups.cadence]
dates = ["2026-03-10 14:00", "2026-03-24 14:00", "2026-04-21 14:00"]
"""


@pytest.fixture
async def h(tmp_path):
    harness = await make_harness(tmp_path, CONFIG_WITH_CADENCE + SUBGROUP)
    harness.core.bind_room(SUB_ROOM, harness.config.groups[1])
    yield harness
    await harness.core.storage.close()


async def in_subgroup(h, sender: str, body: str) -> list:
    event = Incoming(IncomingKind.MESSAGE, h.next_id(), SUB_ROOM, sender, h.clock, body)
    return await h.deliver(event)


def test_a_subgroup_inherits_the_parents_roster_and_is_known_to_it(tmp_path):
    config = load_config(write(tmp_path, CONFIG_WITH_CADENCE + SUBGROUP), require_matrix=False)
    parent, sub = config.groups
    assert sub.parent == "allies" and [s.id for s in parent.subgroups] == ["recognition"]
    assert sub.members == parent.members and sub.chairs == (ANNA,)


def test_sub_sub_groups_inherit_through_their_parents(tmp_path):
    nested = SUBGROUP + SUBGROUP.replace('id = "recognition"', 'id = "cases"').replace(
        SUB_ROOM, "!cases:example.org"
    ).replace('parent = "allies"', 'parent = "recognition"')
    config = load_config(write(tmp_path, CONFIG_WITH_CADENCE + nested), require_matrix=False)
    parent, _, subsub = config.groups
    assert [s.id for s in parent.subgroups] == ["recognition"]
    assert [s.id for s in parent.subgroups[0].subgroups] == ["cases"]
    assert subsub.members == parent.members


def test_roster_entries_without_alliance_take_the_parents(tmp_path):
    own = SUBGROUP + f'[[groups.members]]\nuser = "{BO}"\n'
    config = load_config(write(tmp_path, CONFIG_WITH_CADENCE + own), require_matrix=False)
    assert [(m.user, m.alliance) for m in config.groups[1].members] == [(BO, "CIVIS")]


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        (SUBGROUP.replace('parent = "allies"', 'parent = "nope"'), "groups[1].parent: no group"),
        (
            SUBGROUP + '[[groups.members]]\nuser = "@new:example.org"\n',
            "groups[1].members[0].alliance: missing, and @new:example.org is not on the parent",
        ),
        (
            SUBGROUP.replace('parent = "allies"', 'parent = "recognition"'),
            "groups[1].parent: sub-groups go round in a circle: recognition → recognition",
        ),
        (
            SUBGROUP.replace('parent = "allies"', 'parent = "other"')
            + SUBGROUP.replace('id = "recognition"', 'id = "other"')
            .replace(SUB_ROOM, "!other:example.org")
            .replace('parent = "allies"', 'parent = "recognition"'),
            "groups[1].parent: sub-groups go round in a circle: recognition → other → recognition",
        ),
    ],
)
def test_bad_parents_are_reported_by_key(tmp_path, extra, problem):
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, CONFIG_WITH_CADENCE + extra), require_matrix=False)
    assert any(p.startswith(problem) for p in caught.value.problems), caught.value.problems


async def test_the_parents_agenda_reports_what_the_subgroup_did(h):
    # the sub-group meets on 10 and 24 March; the parent met on 20 Feb, meets on 3 April
    h.clock = datetime(2026, 3, 10, 13, 5, tzinfo=UTC)
    await in_subgroup(h, ANNA, "!startmeeting")
    await in_subgroup(h, ANNA, "!decision Map RPL practice in 10 alliances")
    await in_subgroup(h, BO, "!action @bo:example.org collect RPL cases")
    await in_subgroup(h, ANNA, "!minutes")
    await in_subgroup(h, ANNA, "!endmeeting")
    h.clock = datetime(2026, 3, 30, 9, 0, tzinfo=UTC)
    [agenda] = await h.say(CHAIR, "!agenda")
    report = agenda.body.split("Sub-group reports**")[1]
    assert "Recognition of prior learning" in report
    assert "Map RPL practice in 10 alliances" in report
    assert "1 open action item" in report
    assert (
        "met Tue 10 Mar ([minutes]" in agenda.html.replace("<a href", "[minutes](")
        or "met Tue 10 Mar" in report
    )
    assert "nothing recorded for Tue 24 Mar" in report  # scheduled, but nobody ran it
    [minutes_link] = [
        part for part in agenda.html.split('href="')[1:] if part.startswith("https://matrix.to/")
    ]
    minutes_event = next(
        event_id
        for txn, message in h.transport.sent
        for event_id in [f"$sent{h.transport.sent.index((txn, message)) + 1}"]
        if message.room_id == SUB_ROOM and message.body.startswith("# Minutes")
    )
    assert minutes_link.startswith(f"https://matrix.to/#/{SUB_ROOM}/{minutes_event}")


async def test_subgroups_lists_them_with_their_next_meetings(h):
    h.clock = datetime(2026, 3, 30, 9, 0, tzinfo=UTC)
    [listing] = await h.say(BO, "!subgroups")
    assert "Recognition of prior learning" in listing.body
    assert "Tuesday 21 April 2026, 14:00" in listing.body
    [none] = await in_subgroup(h, ANNA, "!subgroups")
    assert "has no sub-groups" in none.body


def test_each_network_builds_its_own_message_links():
    """The runtime never builds a link itself: the room's network does."""
    assert message_link("19:c@thread.tacv2|1700000000000") == (
        "https://teams.microsoft.com/l/message/19%3Ac%40thread.tacv2/1700000000000"
    )
    assert message_link("$not-a-teams-id") is None
    matrix = MatrixTransport.permalink(None, "!sub:example.org", "$ev")  # type: ignore[arg-type]
    assert matrix == "https://matrix.to/#/!sub:example.org/$ev"


async def test_with_a_web_archive_the_subgroups_meetings_link_to_their_pages(tmp_path):
    web = '[web]\nlisten = "127.0.0.1:8080"\npublic_url = "https://bot.example.org"\n'
    harness = await make_harness(tmp_path, web + CONFIG_WITH_CADENCE + SUBGROUP)
    harness.core.bind_room(SUB_ROOM, harness.config.groups[1])
    harness.core.web = harness.config.web
    try:
        harness.clock = datetime(2026, 3, 10, 13, 5, tzinfo=UTC)
        await in_subgroup(harness, ANNA, "!startmeeting")
        await in_subgroup(harness, ANNA, "!decision Map RPL practice")
        await in_subgroup(harness, ANNA, "!endmeeting")
        harness.clock = datetime(2026, 3, 30, 9, 0, tzinfo=UTC)
        [agenda] = await harness.say(CHAIR, "!agenda")
        page = "https://bot.example.org/g/recognition/meetings/2026-03-10"
        assert f'met Tue 10 Mar (<a href="{page}">minutes</a>)' in agenda.html
    finally:
        await harness.core.storage.close()
