"""Encrypted rooms when trust or keys are not simple: the "operator-verified" policy,
a lost crypto store, a room key that arrives late, a long outage."""

from __future__ import annotations

import asyncio
import re
import shutil

from .bot_process import run_cli
from .encrypted_world import (
    ask,
    restart,
    start_bot,
)
from .matrix_member import reply_target


async def test_verified_policy_serves_only_devices_the_operator_verified(secret_room):
    world = secret_room
    anna, bo, room, bot = world["anna"], world["bo"], world["room"], world["bot"]
    config = bot.config_path.read_text()
    bot.config_path.write_text(config.replace("[storage]", 'trust = "verified"\n[storage]', 1))
    await start_bot(world)
    refused = await anna.send_text(room, "!help")
    await bot.wait_for_log(f"ignoring {refused} from an untrusted device of {anna.user_id}")
    await bot.wait_for_log(f"device {anna.client.device_id} of {anna.user_id} gets no room keys")
    assert await bot.stop() == 0

    anna_device = anna.client.device_id
    listing = await run_cli(bot, "devices")
    assert f"{anna.user_id} {anna_device}" in listing and "blocked" in listing
    verified = await run_cli(bot, "devices", "verify", anna.user_id, anna_device)
    assert f"{anna_device} is now verified" in verified
    await restart(bot)
    reply = await ask(anna, room, "!help")
    assert "Commands for you in" in reply["body"]
    assert reply["event_id"] in anna.decrypted_ids
    await bo.wait_for(room, lambda e: e.get("event_id") == reply["event_id"])
    assert reply["event_id"] not in bo.decrypted_ids  # bo's device got no room key
    assert anna.replies_to(room, refused) == []


async def test_a_lost_crypto_store_is_reported_once_and_a_new_device_recovers(secret_room):
    world = secret_room
    anna, room, bot = world["anna"], world["room"], world["bot"]
    await start_bot(world)
    await ask(anna, room, "!help")
    old_device = bot.session()["device_id"]
    assert await bot.stop() == 0
    shutil.rmtree(bot.workdir / "data" / "crypto")
    await bot.start()
    await bot.wait_for_log("the homeserver refused new keys", timeout=30)
    await ask(anna, room, "!help")  # answered (with the could-not-decrypt notice)
    await asyncio.sleep(1)
    assert bot.log().count("the homeserver refused new keys") == 1
    assert await bot.stop() == 0

    (bot.workdir / "data" / "matrix-session.json").unlink()  # the documented recovery
    await restart(bot)
    new_device = bot.session()["device_id"]
    assert new_device != old_device
    for _ in range(40):
        if new_device in anna.client.device_store[world["bot_user"]]:
            break
        await anna.sync_barrier()
    reply = await ask(anna, room, "!help")
    assert "Commands for you in" in reply["body"] and reply["event_id"] in anna.decrypted_ids


async def test_a_message_whose_key_comes_late_is_answered_when_it_arrives(secret_room):
    world = secret_room
    anna, room, bot = world["anna"], world["room"], world["bot"]
    await start_bot(world)
    await ask(anna, room, "!help")  # anna's client now has an Olm session with the bot
    late, key = await anna.send_key_withheld(room, "!update the key came late")
    notice = await anna.wait_for_reply(room, late, timeout=15)
    assert notice["body"].startswith("I could not decrypt")
    await anna.send_room_key(world["bot_user"], key)
    await anna.wait_for(
        room,
        lambda e: (
            e.get("sender") == world["bot_user"]
            and reply_target(e) == late
            and e["content"]
            .get("body")
            .startswith("Thanks, your update for FORTHEM is recorded for ")
        ),
        timeout=45,
    )
    assert "earlier messages decrypted after their keys arrived: 1" in bot.log()
    assert "the key came late" not in bot.log()


async def test_a_long_outage_is_backfilled_and_decrypted(secret_room):
    """More than a sync's timeline limit (100) while down: the rest comes from
    /messages, which nio decrypts too."""
    world = secret_room
    anna, room, bot = world["anna"], world["room"], world["bot"]
    await start_bot(world)
    await ask(anna, room, "!help")
    assert await bot.stop() == 0
    early = await anna.send_text(room, "!update sent before a lot of chatter")
    for n in range(110):
        await anna.send_text(room, f"chatter {n}")
    await restart(bot)
    ack = await anna.wait_for_reply(room, early, timeout=30)
    assert ack["body"].startswith("Thanks, your update for FORTHEM is recorded for ")
    backfilled = re.findall(r"backfilled (\d+) events", bot.log())
    assert backfilled and int(backfilled[-1]) > 0, backfilled
    assert "cannot decrypt" not in bot.log()
