"""One process, both networks: a group in a Matrix room (real Synapse, a real
client) and a group in a Teams channel (Microsoft's emulator) served by the
same `allies-bot run`; and Teams' personal chat and message edits."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest_asyncio

from .bot_process import BotProcess
from .teams_playground import CHANNEL, MEMBER, Playground, free_port
from .test_teams_playground import READY, cadence, teams_config, text_of

PERSONAL = "a:personal-chat-id"


@pytest_asyncio.fixture(loop_scope="session")
async def both_networks(synapse, make_member, tmp_path):
    anna = await make_member("anna")
    password = secrets.token_urlsafe(12)
    bot_user = await synapse.register_user(f"bot-{secrets.token_hex(3)}", password)
    room = await anna.create_room("ALLIES on Matrix", invite=[bot_user.user_id])
    port = free_port()
    playground = Playground(tmp_path / "playground", f"http://127.0.0.1:{port}/api/messages")
    await playground.start()
    matrix = f"""
[matrix]
homeserver = "{synapse.base_url}"
user_id = "{bot_user.user_id}"
device_name = "allies-bot-test"

[[groups]]
id = "matrix-group"
name = "MATRIX"
room = "{room}"
timezone = "Europe/Brussels"
chairs = ["{anna.user_id}"]
"""
    config = teams_config(port, cadence(timedelta(days=20))) + matrix
    (tmp_path / "bot" / "data").mkdir(parents=True)
    bot = BotProcess(tmp_path / "bot", config, password)
    await bot.start()
    await bot.wait_for_log("sync loop running")
    await bot.wait_for_log(READY)
    await playground.install()
    yield bot, playground, anna, room
    await bot.stop()
    await playground.stop()


async def test_one_process_serves_a_matrix_room_and_a_teams_channel(both_networks):
    _, playground, anna, room = both_networks
    matrix_reply = await anna.ask(room, "!next")
    assert matrix_reply["sender"] != anna.user_id and "meeting" in matrix_reply["body"].lower()
    thread = await playground.chair_says("next")
    teams_reply = await playground.wait_for_post(lambda f: f["actionConversationId"] == thread)
    assert "meeting" in text_of(teams_reply).lower()


async def test_a_personal_chat_answers_as_the_senders_group(both_networks):
    _, playground, _, _ = both_networks
    before = len(playground.posts)
    await playground.chair_says("updates", thread=PERSONAL, mention=False)
    reply = await playground.wait_for_post(
        lambda f: f["actionConversationId"] == PERSONAL, after=before
    )
    # `!updates` is for members: answered, not refused, so the chat counts as
    # the chair's group though it belongs to none
    assert "No updates yet for the next meeting" in text_of(reply)


async def test_a_chairs_minutes_from_a_personal_chat_go_to_the_channel(both_networks):
    _, playground, _, _ = both_networks
    before = len(playground.posts)
    await playground.chair_says("minutes", thread=PERSONAL, mention=False)
    minutes = await playground.wait_for_post(
        lambda f: f["action"] == "createMessage" and "Minutes:" in text_of(f), after=before
    )
    assert minutes["actionConversationId"] == CHANNEL


async def test_mydata_opens_a_personal_chat_with_the_person(both_networks):
    _, playground, _, _ = both_networks
    before = len(playground.posts)
    await playground.chair_says("mydata")  # in the channel; the answer goes to them alone
    summary = await playground.wait_for_post(
        lambda f: f["actionConversationId"] == PERSONAL, after=before
    )
    assert "What allies-bot stores about carla.chair@allies.example" in text_of(summary)
    await playground.wait_for_post(
        lambda f: f["actionConversationId"] == PERSONAL and "/files/" in text_of(f), after=before
    )
    in_channel = [f for f in playground.posts[before:] if f["actionConversationId"] != PERSONAL]
    assert all("carla.chair@allies.example" not in text_of(f) for f in in_channel)


async def test_an_edited_update_is_the_update(both_networks):
    _, playground, _, _ = both_networks
    thread = await playground.new_thread()
    sent = await playground.activity_from(MEMBER, "update Ran 3 workshops", thread=thread)
    await playground.wait_for_post(lambda f: f["actionConversationId"] == thread)
    answered = len(playground.posts)
    edited = {
        **sent,
        "type": "messageUpdate",
        "text": sent["text"].replace("3 workshops", "4 workshops"),
        "channelData": {**sent["channelData"], "eventType": "editMessage"},
    }
    await playground.deliver(edited)
    # the bot answers the edit in the update's thread ...
    note = await playground.wait_for_post(
        lambda f: f["actionConversationId"] == thread, after=answered
    )
    assert "update" in text_of(note).lower()
    # ... and the listing holds the edited text only
    listing_thread = await playground.chair_says("updates")
    listing = text_of(
        await playground.wait_for_post(lambda f: f["actionConversationId"] == listing_thread)
    )
    assert "Ran 4 workshops" in listing and "Ran 3 workshops" not in listing
