"""Fault suite (d): SIGHUP on the real bot process. A member added to the
roster is accepted without a restart; a broken edit is refused, logged, and
the bot keeps answering with the config it had."""

from __future__ import annotations

import signal

import pytest

from .helpers import READY, make_world

pytestmark = pytest.mark.fault


async def test_sighup_applies_a_roster_change_and_refuses_a_broken_file(
    synapse, make_member, tmp_path
):
    world = await make_world(synapse, make_member, tmp_path, count=2)
    newbie = await make_member("newbie")
    await world.members[0].invite(world.room, newbie.user_id)
    await newbie.join(world.room)
    await world.bot.start()
    await world.bot.wait_for_log(READY)
    refused = await newbie.ask(world.room, "!update NEW: hello")
    assert "members of the group only" in refused["body"]

    config = world.bot.config_path
    good = config.read_text()
    config.write_text(good + f'[[groups.members]]\nuser = "{newbie.user_id}"\nalliance = "NEW"\n')
    world.bot.process.send_signal(signal.SIGHUP)
    await world.bot.wait_for_log("config reloaded: 1 group updated")
    accepted = await newbie.ask(world.room, "!update NEW: hello again")
    assert accepted["body"].startswith("Thanks, your update for NEW is recorded for ")

    config.write_text(
        config.read_text().replace('timezone = "Europe/Brussels"', 'timezone = "Nowhere/City"')
    )
    world.bot.process.send_signal(signal.SIGHUP)
    await world.bot.wait_for_log("config not reloaded: 1 problem in")
    assert "groups[0].timezone: unknown time zone 'Nowhere/City'" in world.bot.log()
    still = await newbie.ask(world.room, "!update NEW: still a member")
    assert still["body"].startswith("Thanks, your update for NEW is recorded for ")
    assert world.bot.process.returncode is None
    await world.bot.stop()
