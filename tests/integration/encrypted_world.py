"""An encrypted room, created the way Element creates rooms by default, and
the helpers the encrypted-room tests share.

Members are encrypting nio clients; the bot is the real process. Checks that
something was answered also check that it went over the wire as
`m.room.encrypted`, so a bot falling back to clear text fails them.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import timedelta

import pytest_asyncio

from .bot_process import BotProcess, GroupSpec, render_config
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
    """Encrypted rooms get a longer default: the first reply waits for key exchange."""
    return await member.ask(room, body, timeout)


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
