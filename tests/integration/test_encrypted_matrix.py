"""The bot in an encrypted room, created the way Element creates rooms by default.

Members are encrypting nio clients; the bot is the real process. Every check
that something was answered also checks that it went over the wire as
`m.room.encrypted`, so a bot falling back to clear text would fail here.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import shutil
import sys
import time
from datetime import timedelta

import pytest_asyncio
from icalendar import Calendar

from .bot_process import REPO, BotProcess, GroupSpec, render_config
from .matrix_member import reply_target
from .test_calendar_matrix import cadence_soon

READY = "sync loop running"
ENCRYPTED = "m.room.encrypted"


@pytest_asyncio.fixture(loop_scope="session")
async def secret_room(synapse, make_member, tmp_path):
    """An encrypted room: a chair, two members of two alliances, the bot invited,
    a meeting three minutes ahead (agenda due at once, a reminder soon)."""
    chair, anna, bo = [await make_member(n, encrypted=True) for n in ("chair", "anna", "bo")]
    password = secrets.token_urlsafe(12)
    bot_user = (await synapse.register_user(f"bot-{secrets.token_hex(3)}", password)).user_id
    room = await chair.create_room(
        "ALLIES", invite=[anna.user_id, bo.user_id, bot_user], encrypted=True
    )
    for person in (anna, bo):
        await person.join(room)
    toml, start = cadence_soon(timedelta(seconds=8))
    members = {chair.user_id: "FORTHEM", anna.user_id: "FORTHEM", bo.user_id: "CIVIS"}
    spec = GroupSpec("allies", room, [chair.user_id], members, extra_toml=toml)
    bot = BotProcess(tmp_path, render_config(synapse.base_url, bot_user, [spec]), password)
    world = {"chair": chair, "anna": anna, "bo": bo, "room": room, "bot": bot}
    world.update(bot_user=bot_user, start=start)
    yield world
    if bot.process is not None:
        await bot.stop()


async def start_bot(world) -> None:
    await world["bot"].start()
    await world["bot"].wait_for_log(READY, timeout=30)
    for person in ("chair", "anna", "bo"):
        await world[person].wait_for_devices_of(world["room"], world["bot_user"])


async def restart(bot) -> None:
    """Start again and wait for this run's own "sync loop running" (the log
    file keeps the earlier runs' lines)."""
    runs = bot.log().count(READY)
    await bot.start()
    for _ in range(300):
        if bot.log().count(READY) > runs:
            return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"bot did not come back:\n{bot.log()[-3000:]}")


async def ask(member, room: str, body: str, timeout: float = 15.0) -> dict:
    event_id = await member.send_text(room, body)
    return await member.wait_for_reply(room, event_id, timeout)


async def assert_encrypted_on_the_wire(member, room: str, event_id: str) -> dict:
    wire = await member.wire_event(room, event_id)
    assert wire["type"] == ENCRYPTED, wire["type"]
    assert event_id in member.decrypted_ids or wire["sender"] == member.user_id
    return wire


def from_bot(world, prefix: str):
    return lambda e: (
        e.get("sender") == world["bot_user"]
        and e.get("type") == "m.room.message"
        and e["content"].get("body", "").startswith(prefix)
    )


async def test_commands_replies_edits_and_posts_are_encrypted(secret_room):
    world = secret_room
    anna, bo, room, bot = world["anna"], world["bo"], world["room"], world["bot"]
    await start_bot(world)

    started = time.monotonic()
    command = await anna.send_text(room, "!update Launched a secret micro-credential pilot")
    ack = await anna.wait_for_reply(room, command, timeout=15)
    print(f"encrypted !update acknowledged after {time.monotonic() - started:.2f}s")
    assert ack["body"] == "Thanks, your update for FORTHEM is recorded."
    assert ack["msgtype"] == "m.notice" and ack["m.mentions"] == {}
    await assert_encrypted_on_the_wire(anna, room, command)
    wire = await assert_encrypted_on_the_wire(anna, room, ack["event_id"])
    # the relation is also in the clear, where Element looks for it
    assert wire["content"]["m.relates_to"] == {"m.in_reply_to": {"event_id": command}}

    await anna.edit(room, command, "!update Launched the pilot in three faculties")
    changed = await anna.wait_for(room, from_bot(world, "Your update is changed"))
    await assert_encrypted_on_the_wire(anna, room, changed["event_id"])
    listing = await ask(bo, room, "!updates")
    assert "three faculties" in listing["body"] and "secret micro" not in listing["body"]

    agenda = await anna.wait_for(room, from_bot(world, "**Agenda:"), timeout=20)
    await assert_encrypted_on_the_wire(anna, room, agenda["event_id"])
    reminder = await anna.wait_for(room, from_bot(world, "**Reminder:"), timeout=40)
    await assert_encrypted_on_the_wire(anna, room, reminder["event_id"])

    log = bot.log()
    assert "secret micro-credential" not in log and "three faculties" not in log
    assert "cannot decrypt" not in log


async def test_ics_is_an_encrypted_file_members_can_read(secret_room):
    world = secret_room
    anna, room = world["anna"], world["room"]
    await start_bot(world)
    asked = await anna.send_text(room, "!ics")
    file_event = await anna.wait_for(
        room,
        lambda e: e.get("sender") == world["bot_user"] and e["content"].get("msgtype") == "m.file",
        timeout=15,
    )
    await assert_encrypted_on_the_wire(anna, room, file_event["event_id"])
    content = file_event["content"]
    assert content["m.relates_to"]["m.in_reply_to"]["event_id"] == asked
    assert "url" not in content  # only the encrypted file's own url, with its key
    assert set(content["file"]) >= {"url", "key", "iv", "hashes", "v"}
    assert content["info"]["mimetype"] == "text/calendar"
    raw = await anna.client.download(content["file"]["url"])
    assert b"BEGIN:VCALENDAR" not in raw.body  # the media repository holds ciphertext
    [event] = Calendar.from_ical(await anna.download(content)).walk("VEVENT")
    assert event.decoded("DTSTART") == world["start"]


async def test_restart_reads_and_answers_what_was_sent_while_down(secret_room):
    world = secret_room
    anna, bo, room, bot = world["anna"], world["bo"], world["room"], world["bot"]
    await start_bot(world)
    before = await anna.send_text(room, "!update before the restart")
    await anna.wait_for_reply(room, before, timeout=15)
    device = bot.session()["device_id"]
    assert await bot.stop() == 0

    # bo has never written here: his room key reaches the bot's device while it is down
    while_down = await bo.send_text(room, "!update sent while the bot was down")
    asked_down = await anna.send_text(room, "!updates")
    await restart(bot)
    listing = await anna.wait_for_reply(room, asked_down, timeout=20)
    assert "sent while the bot was down" in listing["body"]
    await anna.wait_for_reply(room, while_down, timeout=20)
    await anna.sync_barrier()
    await asyncio.sleep(1.5)
    await anna.sync_barrier()
    for event_id in (before, while_down, asked_down):
        assert len(anna.replies_to(room, event_id)) == 1, event_id
    assert bot.session()["device_id"] == device
    assert bot.log().count("logged in as") == 1 and "resumed session" in bot.log()
    assert bot.log().count("device keys uploaded") == 1  # the same device keys after the restart
    assert "cannot decrypt" not in bot.log()


async def test_an_undecryptable_message_gets_one_notice_not_a_loop(secret_room):
    world = secret_room
    anna, room, bot = world["anna"], world["room"], world["bot"]
    await start_bot(world)
    device = bot.session()["device_id"]
    session = secrets.token_urlsafe(32)
    first = await anna.send_undecryptable(room, session)
    notice = await anna.wait_for_reply(room, first, timeout=15)
    assert notice["body"].startswith("I could not decrypt your message")
    assert device in notice["body"] and notice["m.mentions"] == {"user_ids": [anna.user_id]}
    await assert_encrypted_on_the_wire(anna, room, notice["event_id"])
    second = await anna.send_undecryptable(room, session)
    assert "Commands you can" in (await ask(anna, room, "!help"))["body"]  # still serving

    assert await bot.stop() == 0
    third = await anna.send_undecryptable(room, session)  # once, even across a restart
    await restart(bot)
    assert "Commands you can" in (await ask(anna, room, "!help"))["body"]
    await anna.sync_barrier()
    await asyncio.sleep(1)
    await anna.sync_barrier()
    assert anna.replies_to(room, second) == [] and anna.replies_to(room, third) == []
    notices = [
        e
        for e in anna.events_from(world["bot_user"], room)
        if e["content"].get("body", "").startswith("I could not decrypt")
    ]
    assert len(notices) == 1
    log = bot.log()
    assert session in log and log.count(f"session {session}") == 3
    assert bot.process.returncode is None and "Traceback" not in log


async def test_a_live_meeting_reactions_minutes_file_and_edit(secret_room):
    world = secret_room
    chair, anna, room, bot_user = world["chair"], world["anna"], world["room"], world["bot_user"]
    await start_bot(world)
    await ask(chair, room, "!startmeeting")
    topic = await chair.send_text(room, "!topic The confidential survey")
    reaction = await chair.wait_for(
        room,
        lambda e: (
            e.get("type") == "m.reaction"
            and e.get("sender") == bot_user
            and e["content"]["m.relates_to"]["event_id"] == topic
        ),
    )
    assert reaction["content"]["m.relates_to"]["key"] == "✅"
    here = await anna.send_text(room, "!here")
    await anna.wait_for(
        room,
        lambda e: (
            e.get("type") == "m.reaction" and e["content"]["m.relates_to"]["event_id"] == here
        ),
    )
    await ask(chair, room, "!endmeeting")
    await ask(chair, room, "!minutes", timeout=20)
    minutes = await chair.wait_for(room, from_bot(world, "# Minutes:"))
    assert "The confidential survey" in minutes["content"]["body"]
    await assert_encrypted_on_the_wire(chair, room, minutes["event_id"])
    file_event = await chair.wait_for(
        room, lambda e: e.get("sender") == bot_user and e["content"].get("msgtype") == "m.file"
    )
    assert (await chair.download(file_event["content"])).decode().startswith("# Minutes:")

    await ask(chair, room, "!minutes", timeout=20)
    edit = await chair.wait_for(
        room,
        lambda e: (
            e.get("sender") == bot_user
            and (e["content"].get("m.relates_to") or {}).get("rel_type") == "m.replace"
        ),
    )
    assert edit["content"]["m.relates_to"]["event_id"] == minutes["event_id"]
    assert edit["content"]["m.new_content"]["body"].startswith("# Minutes:")
    wire = await assert_encrypted_on_the_wire(chair, room, edit["event_id"])
    assert wire["content"]["m.relates_to"]["rel_type"] == "m.replace"


async def run_cli(bot, *args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        args[0],
        "--config",
        str(bot.config_path),
        *args[1:],
        cwd=REPO,
        env={**os.environ, "ALLIES_BOT_PASSWORD": bot.password},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode == 0, output.decode()
    return output.decode()


async def test_verified_policy_serves_only_devices_the_operator_verified(secret_room):
    world = secret_room
    anna, bo, room, bot = world["anna"], world["bo"], world["room"], world["bot"]
    config = bot.config_path.read_text()
    bot.config_path.write_text(config.replace("[storage]", 'trust = "verified"\n[storage]', 1))
    await start_bot(world)
    refused = await anna.send_text(room, "!help")
    await bot.wait_for_log(f"ignoring {refused} from an unverified device of {anna.user_id}")
    await bot.wait_for_log(f"device {anna.client.device_id} of {anna.user_id} is not verified")
    assert await bot.stop() == 0

    anna_device = anna.client.device_id
    listing = await run_cli(bot, "devices")
    assert f"{anna.user_id} {anna_device}" in listing and "blocked" in listing
    verified = await run_cli(bot, "devices", "verify", anna.user_id, anna_device)
    assert f"{anna_device} is now verified" in verified
    await restart(bot)
    reply = await ask(anna, room, "!help")
    assert "Commands you can" in reply["body"]
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
    assert "Commands you can" in reply["body"] and reply["event_id"] in anna.decrypted_ids


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
            and e["content"].get("body") == "Thanks, your update for FORTHEM is recorded."
        ),
        timeout=45,
    )
    assert "decrypted 1 earlier message(s) after their keys arrived" in bot.log()
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
    assert ack["body"] == "Thanks, your update for FORTHEM is recorded."
    backfilled = re.findall(r"backfilled (\d+) events", bot.log())
    assert backfilled and int(backfilled[-1]) > 0, backfilled
    assert "cannot decrypt" not in bot.log()
