"""One process, both networks: a group in a Matrix room (real Synapse, a real
client) and a group in a Teams channel (Microsoft's emulator) served by the
same `allies-bot run`."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest_asyncio

from .bot_process import BotProcess
from .teams_playground import Playground, free_port
from .test_teams_playground import READY, cadence, teams_config, text_of


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
