"""The bot in an encrypted room: commands, replies, edits, reactions, automatic
posts, files, restarts and messages it cannot decrypt (`encrypted_world.py`
has the room, Element-style, and the helpers)."""

from __future__ import annotations

import asyncio
import secrets
import time

from icalendar import Calendar

from .encrypted_world import (
    ask,
    assert_encrypted_on_the_wire,
    from_bot,
    restart,
    start_bot,
)


async def test_commands_replies_edits_and_posts_are_encrypted(secret_room):
    world = secret_room
    anna, bo, room, bot = world["anna"], world["bo"], world["room"], world["bot"]
    await start_bot(world)

    started = time.monotonic()
    command = await anna.send_text(room, "!update Launched a secret micro-credential pilot")
    ack = await anna.wait_for_reply(room, command, timeout=15)
    print(f"encrypted !update acknowledged after {time.monotonic() - started:.2f}s")
    assert ack["body"].startswith("Thanks, your update for FORTHEM is recorded for ")
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
    assert "Commands for you in" in (await ask(anna, room, "!help"))["body"]  # still serving

    assert await bot.stop() == 0
    third = await anna.send_undecryptable(room, session)  # once, even across a restart
    await restart(bot)
    assert "Commands for you in" in (await ask(anna, room, "!help"))["body"]
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
    for member, command in ((chair, "!topic The confidential survey"), (anna, "!here")):
        reaction = await member.send_and_wait_reaction(room, command, bot_user)
        assert reaction["content"]["m.relates_to"]["key"] == "✅"
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
