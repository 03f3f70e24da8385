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

    return Reloader(h.config.path, h.config, h.core.directory, replan)


async def test_a_new_member_is_accepted_after_a_reload(h):
    replans: list[int] = []
    refused = await h.say(NEW, "!update EUGLOH news")
    assert "members of the group only" in refused[0].body
    h.config.path.write_text(WITH_NEW)
    assert await reloader(h, replans).reload()
    accepted = await h.say(NEW, "!update EUGLOH news")
    assert accepted[0].body.startswith("Thanks, your update for EUGLOH is recorded for ")
    assert replans == [1]


async def test_a_broken_file_is_refused_and_the_running_config_stays(h, caplog):
    replans: list[int] = []
    h.config.path.write_text(
        WITH_NEW.replace('timezone = "Europe/Brussels"', 'timezone = "Mars/Base"') + "\nbogus = 1\n"
    )
    with caplog.at_level(logging.ERROR):
        assert not await reloader(h, replans).reload()
    assert "config not reloaded: 2 problems" in caplog.text
    assert "groups[0].timezone: unknown time zone 'Mars/Base'" in caplog.text
    assert "members of the group only" in (await h.say(NEW, "!update x"))[0].body
    assert replans == []


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda text: text.replace(ROOM, "!other:example.org"), "group allies has a new room"),
        (lambda text: text.replace('id = "allies"', 'id = "renamed"'), "group renamed is new"),
        (lambda text: '[ops]\nlisten = "127.0.0.1:9999"\n' + text, "[ops] changed"),
    ],
)
async def test_a_change_that_needs_a_restart_is_refused_whole(h, caplog, change, reason):
    h.config.path.write_text(change(WITH_NEW))
    with caplog.at_level(logging.ERROR):
        assert not await reloader(h, []).reload()
    assert reason in caplog.text and "these changes need a restart" in caplog.text
    assert h.core.groups.of_room(ROOM).room == ROOM  # the running config, roster included, stays
    assert "members of the group only" in (await h.say(NEW, "!update x"))[0].body


async def test_an_unreadable_file_is_refused_like_a_broken_one(h, caplog):
    h.config.path.write_bytes(b"\xff\xfe not text")
    with caplog.at_level(logging.ERROR):
        assert not await reloader(h, []).reload()
    assert "cannot be read (UnicodeDecodeError)" in caplog.text


def test_the_storage_url_may_come_from_the_environment(tmp_path):
    from bot.config import load_config
    from tests.unit.test_config import write

    url = "postgresql+asyncpg://allies:secret@db.example.org/allies"
    config = load_config(
        write(tmp_path, CONFIG), {"ALLIES_BOT_STORAGE_URL": url}, require_matrix=False
    )
    assert config.storage.url == url
