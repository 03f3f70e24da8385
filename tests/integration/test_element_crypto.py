"""Encrypted rooms with members on Element's own crypto stack (Rust crypto in
matrix-js-sdk 43), as Element's 2026 defaults have it.

What is asserted is what the member's client reports: the bot's replies
decrypt, carry no warning shield (`getEncryptionInfoForEvent`), and the
bot's identity does not change across a restart. Members bootstrap
cross-signing at login as Element does.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import timedelta

import pytest_asyncio

from .bot_process import BotProcess, GroupSpec, render_config, run_cli
from .element_member import SHIELD_NONE, ElementMember
from .encrypted_world import READY, restart
from .test_calendar_matrix import cadence_soon

MEMBER_KINDS = {
    "ada": {},  # Element's defaults
    "eli": {"ISOLATION": "signed"},  # "exclude insecure devices" on
    "new": {"DROP_DEPRECATED": "1"},  # Megolm events without sender_key / device_id
    "vera": {"ONLY_VERIFIED": "1"},  # "never send to unverified sessions"
}


@pytest_asyncio.fixture(loop_scope="session")
async def element_room(synapse, make_member, tmp_path):
    """An encrypted room made by a chair; four Element members of four kinds;
    the bot invited and started for the first time."""
    chair = await make_member("chair", encrypted=True)
    members: dict[str, ElementMember] = {}
    for name, options in MEMBER_KINDS.items():
        user = await synapse.register_user(f"{name}-{secrets.token_hex(3)}", secrets.token_hex(8))
        member = ElementMember(synapse.base_url, user.user_id, user.password, **options)
        await member.start()
        members[name] = member
    password = secrets.token_urlsafe(12)
    bot_user = (await synapse.register_user(f"bot-{secrets.token_hex(3)}", password)).user_id
    invite = [m.user_id for m in members.values()] + [bot_user]
    room = await chair.create_room("ALLIES", invite=invite, encrypted=True)
    for member in members.values():
        await member.join(room)
    toml, _ = cadence_soon(timedelta(minutes=2))
    roster = {chair.user_id: "FORTHEM"}
    roster.update({m.user_id: f"ALLIANCE-{n.upper()}" for n, m in members.items()})
    spec = GroupSpec("allies", room, [chair.user_id], roster, extra_toml=toml)
    bot = BotProcess(tmp_path, render_config(synapse.base_url, bot_user, [spec]), password)
    await bot.start()
    await bot.wait_for_log(READY, timeout=30)
    world = {"room": room, "bot": bot, "bot_user": bot_user, "chair": chair, **members}
    try:
        yield world
    finally:
        for member in members.values():
            await member.stop()
        if bot.process is not None:
            await bot.stop()


def assert_trusted_reply(reply: dict, bot_user: str) -> None:
    assert reply["sender"] == bot_user
    assert reply["encrypted"] and reply["decrypted"], reply
    assert reply["shield_colour"] == SHIELD_NONE, reply  # no "unsigned device" shield


async def test_the_bot_is_cross_signed_and_element_members_read_and_reach_it(element_room):
    world = element_room
    room, bot_user = world["room"], world["bot_user"]
    ada, eli, new = world["ada"], world["eli"], world["new"]

    [device] = await ada.call("bot_devices", user=bot_user)
    assert device == {"device_id": world["bot"].session()["device_id"], "cross_signed": True}

    reply = await ada.ask(room, "!help")
    assert_trusted_reply(reply, bot_user)
    assert "Commands for you in" in reply["body"]

    # "exclude insecure devices": she shares keys only with cross-signed devices
    # and reads only messages from them; the bot reads her update and answers
    reply = await eli.ask(room, "!update our pilot starts in June")
    assert_trusted_reply(reply, bot_user)
    assert reply["body"].startswith("Thanks, your update for ALLIANCE-ELI is recorded")

    sent = await new.send(room, "!update without the deprecated fields")
    assert "sender_key" not in sent["wire"] and "device_id" not in sent["wire"]
    reply = await new.reply_to(room, sent["event_id"])
    assert_trusted_reply(reply, bot_user)
    assert reply["body"].startswith("Thanks, your update for ALLIANCE-NEW is recorded")
    assert "cannot decrypt" not in world["bot"].log()  # the bot's log line for a failure


async def test_an_ics_file_downloads_and_decrypts_for_an_element_member(element_room):
    world = element_room
    sent = await world["ada"].send(world["room"], "!ics")
    reply = await world["ada"].reply_to(world["room"], sent["event_id"], msgtype="m.file")
    assert_trusted_reply(reply, world["bot_user"])
    calendar = (await world["ada"].call("download", file=reply["file"]))["text"]
    assert calendar.startswith("BEGIN:VCALENDAR") and "BEGIN:VEVENT" in calendar


async def test_a_member_sending_only_to_verified_sessions_is_told_once(element_room):
    """She shares no room key with a bot she has not verified: the bot says so,
    and can still be read by her (it trusts her cross-signed device)."""
    world = element_room
    vera, room, bot_user = world["vera"], world["room"], world["bot_user"]
    reply = await vera.ask(room, "!help")
    assert_trusted_reply(reply, bot_user)
    assert "could not decrypt your message" in reply["body"]
    assert world["bot"].session()["device_id"] in reply["body"]
    await vera.send(room, "!next")  # the same room key: no second notice
    await world["ada"].ask(room, "!help")  # a later command is answered, so the bot got past it
    notices = [
        m
        for m in await vera.call("messages_from", room=room, sender=bot_user)
        if "could not decrypt" in (m["body"] or "")
    ]
    assert len(notices) == 1


async def test_after_a_restart_the_identity_stays_and_waiting_commands_are_answered(
    element_room,
):
    world = element_room
    room, bot, bot_user, ada = world["room"], world["bot"], world["bot_user"], world["ada"]
    await ada.ask(room, "!help")
    assert await bot.stop() == 0
    waiting = await ada.send(room, "!next")
    await restart(bot)
    reply = await ada.reply_to(room, waiting["event_id"], timeout=40)
    assert_trusted_reply(reply, bot_user)
    status = await ada.call("identity_status", user=bot_user)
    assert status["needs_user_approval"] is False  # no "identity changed" warning
    await asyncio.sleep(2)
    answers = [
        m
        for m in await ada.call("messages_from", room=room, sender=bot_user)
        if m["reply_to"] == waiting["event_id"]
    ]
    assert len(answers) == 1
    assert bot.log().count("cross-signing identity created") == 1


async def test_a_members_changed_identity_is_ignored_until_an_operator_accepts_it(
    element_room,
):
    world = element_room
    room, bot, ada = world["room"], world["bot"], world["ada"]
    await ada.ask(room, "!help")
    await ada.call("reset_identity")  # as after "reset cryptographic identity" in Element
    await bot.wait_for_log(f"the cross-signing identity of {ada.user_id} changed", timeout=30)
    ignored = await ada.send(room, "!next")
    await bot.wait_for_log(f"ignoring {ignored['event_id']} from an untrusted device")
    assert await bot.stop() == 0
    listing = await run_cli(bot, "devices")
    assert f"{ada.user_id} identity" in listing and "CHANGED" in listing
    accepted = await run_cli(bot, "devices", "accept-identity", ada.user_id)
    assert "accepted" in accepted
    await restart(bot)
    reply = await ada.ask(room, "!help", timeout=40)
    assert_trusted_reply(reply, world["bot_user"])


async def test_lost_identity_keys_are_reported_and_reset_on_purpose(element_room):
    world = element_room
    room, bot, bot_user, ada = world["room"], world["bot"], world["bot_user"], world["ada"]
    await ada.ask(room, "!help")
    assert await bot.stop() == 0
    (bot.workdir / "data" / "cross-signing.json").unlink()
    await restart(bot)
    await bot.wait_for_log("whose private keys are not in data_dir")
    assert bot.log().count("cross-signing identity created") == 1  # not silently replaced
    assert await bot.stop() == 0
    output = await run_cli(bot, "devices", "reset-identity")
    assert "Members' clients will show that its identity changed" in output
    await restart(bot)
    status = await ada.call("identity_status", user=bot_user)
    assert status["needs_user_approval"] is True  # Element asks her to acknowledge it
    [device] = await ada.call("bot_devices", user=bot_user)
    assert device["cross_signed"] is True
    reply = await ada.ask(room, "!help")
    assert reply["decrypted"] and "Commands for you in" in reply["body"]
