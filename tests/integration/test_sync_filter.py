"""The bot's sync filter on a real Synapse: members' typing notices and read
receipts do not wake the bot's long-poll (the filter it had before let them
wake it once each), and a message still does at once."""

from __future__ import annotations

import asyncio
import secrets
import time

from nio import AsyncClient, SyncResponse

from bot.chat.matrix.syncing import SYNC_FILTER

BEFORE = {  # the filter before receipts, typing and account data were dropped
    "room": {"timeline": {"limit": 100}, "state": {"lazy_load_members": True}},
    "presence": {"types": []},
}


async def raw_client(synapse) -> AsyncClient:
    user = await synapse.register_user(f"bot-{secrets.token_hex(4)}", secrets.token_urlsafe(16))
    client = AsyncClient(synapse.base_url, user.user_id)
    client.access_token, client.user_id, client.device_id = (
        user.access_token,
        user.user_id,
        user.device_id,
    )
    return client


async def wakes_during_noise(client: AsyncClient, flt: dict, member, room: str, seen: str) -> int:
    """How often the long-poll returned while the member typed and read."""
    token = (await client.sync(timeout=0, sync_filter=flt)).next_batch

    async def noise() -> None:
        for n in range(6):
            await asyncio.sleep(0.25)
            await member.client.room_typing(room, typing_state=n % 2 == 0, timeout=3000)
            await member.client.room_read_markers(room, seen, seen)

    noisy = asyncio.create_task(noise())
    wakes, began = 0, time.monotonic()
    while (left := 2.5 - (time.monotonic() - began)) > 0.1:
        response = await client.sync(timeout=int(left * 1000), since=token, sync_filter=flt)
        assert isinstance(response, SyncResponse), response
        if time.monotonic() - began < 2.4:  # returned early: something woke it
            wakes += 1
        token = response.next_batch
    await noisy
    return wakes


async def test_typing_and_receipts_do_not_wake_the_bot_but_a_message_does(synapse, make_member):
    client = await raw_client(synapse)
    member = await make_member("typist")
    try:
        room = (await client.room_create(invite=[member.user_id])).room_id
        await member.join(room)
        seen = await member.send_text(room, "a message to read")
        assert await wakes_during_noise(client, BEFORE, member, room, seen) >= 3
        assert await wakes_during_noise(client, SYNC_FILTER, member, room, seen) == 0

        token = (await client.sync(timeout=0, sync_filter=SYNC_FILTER)).next_batch
        poll = asyncio.create_task(
            client.sync(timeout=10_000, since=token, sync_filter=SYNC_FILTER)
        )
        await asyncio.sleep(0.3)
        began = time.monotonic()
        await member.send_text(room, "!next")
        response = await asyncio.wait_for(poll, 5)
        assert time.monotonic() - began < 2, "a message must wake the long-poll at once"
        bodies = [e.body for e in response.rooms.join[room].timeline.events if hasattr(e, "body")]
        assert bodies == ["!next"]
    finally:
        await client.close()
