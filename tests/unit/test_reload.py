"""SIGHUP's reload, in-process through the real core: a roster change takes
effect at once and the posts are re-planned; a broken file is refused with
every problem logged and the running config stays; a changed room waits for
a restart."""

from __future__ import annotations

import logging

import pytest

from bot.runtime.reload import Reloader
from tests.unit.fakes import CONFIG, ROOM, make_harness

NEW = "@new:example.org"
WITH_NEW = CONFIG + f'[[groups.members]]\nuser = "{NEW}"\nalliance = "EUGLOH"\n'


@pytest.fixture
async def h(tmp_path):
    harness = await make_harness(tmp_path)
    yield harness
    await harness.core.storage.close()


def reloader(h, replans: list[int]) -> Reloader:
    async def replan() -> None:
        replans.append(1)

    return Reloader(h.config.path, h.config, [h.core.rooms], replan)


async def test_a_new_member_is_accepted_after_a_reload(h):
    replans: list[int] = []
    refused = await h.say(NEW, "!update EUGLOH news")
    assert "members of the group only" in refused[0].body
    h.config.path.write_text(WITH_NEW)
    assert await reloader(h, replans).reload()
    accepted = await h.say(NEW, "!update EUGLOH news")
    assert accepted[0].body == "Thanks, your update for EUGLOH is recorded."
    assert replans == [1]


async def test_a_broken_file_is_refused_and_the_running_config_stays(h, caplog):
    replans: list[int] = []
    h.config.path.write_text(
        WITH_NEW.replace('timezone = "Europe/Brussels"', 'timezone = "Mars/Base"') + "\nbogus = 1\n"
    )
    with caplog.at_level(logging.ERROR):
        assert not await reloader(h, replans).reload()
    assert "config not reloaded: 2 problem(s)" in caplog.text
    assert "groups[0].timezone: unknown time zone 'Mars/Base'" in caplog.text
    assert "members of the group only" in (await h.say(NEW, "!update x"))[0].body
    assert replans == []


async def test_a_new_room_needs_a_restart(h, caplog):
    h.config.path.write_text(WITH_NEW.replace(ROOM, "!other:example.org"))
    with caplog.at_level(logging.WARNING):
        assert await reloader(h, []).reload()
    assert "group allies has a new room; that needs a restart" in caplog.text
    assert h.core.rooms[ROOM].room == ROOM  # still the old group, in the old room
