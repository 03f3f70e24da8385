"""The bot end to end: the real CLI process, a real Synapse, members as real clients."""

from __future__ import annotations

import asyncio
import secrets
import time

import pytest_asyncio

from .bot_process import BotProcess, GroupSpec, render_config

READY = "sync loop running"


@pytest_asyncio.fixture(loop_scope="session")
async def world(synapse, make_member, tmp_path):
    """A room with a chair, two members of two alliances, an outsider and the bot invited."""
    chair = await make_member("chair")
    anna = await make_member("anna")
    bo = await make_member("bo")
    outsider = await make_member("outsider")
    password = secrets.token_urlsafe(12)
    bot_user = await synapse.register_user(f"bot-{secrets.token_hex(3)}", password)
    room = await chair.create_room("ALLIES", invite=[anna.user_id, bo.user_id, outsider.user_id])
    for person in (anna, bo, outsider):
        await person.join(room)
    members = {chair.user_id: "FORTHEM", anna.user_id: "FORTHEM", bo.user_id: "CIVIS"}
    spec = GroupSpec("allies", room, [chair.user_id], members)
    bot = BotProcess(tmp_path, render_config(synapse.base_url, bot_user.user_id, [spec]), password)
    yield {
        "chair": chair,
        "anna": anna,
        "bo": bo,
        "outsider": outsider,
        "room": room,
        "bot": bot,
        "bot_user": bot_user.user_id,
    }
    if bot.process is not None:
        await bot.stop()


async def start_bot(world) -> None:
    await world["bot"].start()
    await world["bot"].wait_for_log(READY)


async def test_members_updates_end_to_end(world):
    chair, anna, bo, outsider, room = (
        world[k] for k in ("chair", "anna", "bo", "outsider", "room")
    )
    early = await anna.send_text(room, "!help")  # before the bot has joined: never answered
    await chair.invite(room, world["bot_user"])  # pending when the bot starts
    await start_bot(world)

    started = time.monotonic()
    ack = await anna.ask(room, "!update Launched a micro-credential pilot <b>now</b> @room")
    print(f"!update acknowledged after {time.monotonic() - started:.2f}s")
    assert ack["msgtype"] == "m.notice" and ack["sender"] == world["bot_user"]
    assert ack["body"].startswith("Thanks, your update for FORTHEM is recorded for ")
    assert ack["format"] == "org.matrix.custom.html" and ack["m.mentions"] == {}
    await bo.ask(room, "!update CIVIS mapped 12 ULLL offers")

    listing = await bo.ask(room, "!updates")
    assert "FORTHEM" in listing["body"] and "CIVIS mapped 12 ULLL offers" in listing["body"]
    assert "<b>" not in listing["formatted_body"] and "&lt;b&gt;" in listing["formatted_body"]
    assert "@room" not in listing["body"] and listing["m.mentions"] == {}

    assert "**Before the meeting**" in (await anna.ask(room, "!help"))["body"]
    assert "`!update <text>`" in (await anna.ask(room, "!help update"))["body"]
    assert "!help" in (await anna.ask(room, "!frobnicate"))["body"]
    assert "Usage: `!update <text>`" in (await anna.ask(room, "!update"))["body"]
    huge = await anna.ask(room, "!update " + "x" * 60_000)
    assert "60,000 characters; the limit is 4,000" in huge["body"]
    refused = await outsider.ask(room, "!update let me in")
    assert refused["body"] == "Sorry, `!update` is for members of the group only."

    await outsider.send(room, {"msgtype": "m.notice", "body": "!help"})  # another bot
    await anna.sync_barrier()
    await asyncio.sleep(1)
    assert anna.replies_to(room, early) == []
    notices = [
        e
        for e in anna.events_from(world["bot_user"], room)
        if "Commands for you in" in e["content"]["body"]
    ]
    assert len(notices) == 1  # only anna's own !help, not the early one nor the notice


async def test_edit_and_redaction_change_the_collection(world):
    anna, room = world["anna"], world["room"]
    await world["chair"].invite(room, world["bot_user"])
    await start_bot(world)
    original = await anna.send_text(room, "!update first draft")
    await anna.wait_for_reply(room, original)
    await anna.edit(room, original, "!update final text")
    await anna.wait_for(room, lambda e: "is changed" in e.get("content", {}).get("body", ""))
    listing = await anna.ask(room, "!updates")
    assert "final text" in listing["body"] and "first draft" not in listing["body"]
    await anna.redact(room, original)
    await anna.wait_for(room, lambda e: "removed it" in e.get("content", {}).get("body", ""))
    assert (await anna.ask(room, "!updates"))["body"].startswith("No updates yet")


async def test_restart_answers_missed_commands_once_on_the_same_device(world):
    anna, bo, room, bot = world["anna"], world["bo"], world["room"], world["bot"]
    await world["chair"].invite(room, world["bot_user"])
    await start_bot(world)
    before = await anna.send_text(room, "!update before the restart")
    await anna.wait_for_reply(room, before)
    device = bot.session()["device_id"]
    assert await bot.stop() == 0

    while_down = await bo.send_text(room, "!update sent while the bot was down")
    asked_down = await anna.send_text(room, "!updates")
    await bot.start()
    await bot.wait_for_log(READY)
    assert "sent while the bot was down" in (await anna.wait_for_reply(room, asked_down))["body"]
    await anna.wait_for_reply(room, while_down)
    await anna.sync_barrier()
    await asyncio.sleep(1.5)
    await anna.sync_barrier()
    for event_id in (before, while_down, asked_down):
        assert len(anna.replies_to(room, event_id)) == 1, event_id
    assert bot.session()["device_id"] == device
    assert bot.log().count("logged in as") == 1 and "resumed session" in bot.log()
    assert world["bot"].password not in bot.log()


async def test_invites_to_unconfigured_rooms_are_ignored(world, make_member):
    chair, room = world["chair"], world["room"]
    await start_bot(world)  # not yet invited to its configured room
    other = await chair.create_room("Somewhere else", invite=[world["bot_user"]])
    await chair.invite(room, world["bot_user"])
    await chair.wait_for(
        room,
        lambda e: (
            e.get("type") == "m.room.member"
            and e.get("state_key") == world["bot_user"]
            and e["content"].get("membership") == "join"
        ),
    )
    assert (await world["anna"].ask(room, "!help"))["sender"] == world["bot_user"]
    await chair.sync_barrier()
    joined_other = [
        e
        for e in chair.timeline.get(other, [])
        if e.get("type") == "m.room.member"
        and e.get("state_key") == world["bot_user"]
        and e["content"].get("membership") == "join"
    ]
    assert joined_other == []
    assert f"ignoring invite to unconfigured room {other}" in world["bot"].log()


async def test_sync_loop_survives_the_homeserver_going_away(world, synapse):
    anna, room, bot = world["anna"], world["room"], world["bot"]
    await world["chair"].invite(room, world["bot_user"])
    await start_bot(world)
    await anna.ask(room, "!update before the outage")
    await synapse.stop()
    await asyncio.sleep(3)
    await synapse.start(synapse.workdir)
    reply = await anna.ask(room, "!updates", timeout=30)
    assert "before the outage" in reply["body"]
    assert bot.process.returncode is None


async def test_texts_show_the_display_names_members_set(world):
    """Matrix profiles name people in the bot's texts (Synapse gives every new
    account its localpart as display name); a change is followed."""
    anna, bo, room = world["anna"], world["bo"], world["room"]
    await world["chair"].invite(room, world["bot_user"])
    await start_bot(world)
    await bo.ask(room, "!update CIVIS mapped 12 offers")
    localpart = bo.user_id[1:].split(":")[0]
    assert f"- {localpart}: CIVIS mapped" in (await anna.ask(room, "!updates"))["body"]
    await bo.client.set_displayname("Bo Bergman")
    listing = await until_listed(anna, room, "- Bo Bergman: CIVIS mapped 12 offers")
    assert bo.user_id not in listing["body"]


async def until_listed(member, room: str, line: str, attempts: int = 25) -> dict:
    """`!updates` until it shows `line` (a profile change arrives with a later sync)."""
    for _ in range(attempts):
        listing = await member.ask(room, "!updates")
        if line in listing["body"]:
            return listing
        await asyncio.sleep(0.3)
    raise AssertionError(f"{line!r} never listed; last:\n{listing['body']}")
