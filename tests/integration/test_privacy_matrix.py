"""Privacy requests through a real Synapse in an encrypted room: `!mydata`
arrives in an encrypted direct room the bot opens with the member, and
`!forget me confirm` leaves nothing the operator's export could find."""

from __future__ import annotations

import asyncio
import json

from .bot_process import run_cli
from .encrypted_world import ask, assert_encrypted_on_the_wire, start_bot


async def wait_for_invite(member, known: set[str], timeout: float = 20.0) -> str:
    """The first invitation to a room not in `known`."""
    for _ in range(int(timeout / 0.1)):
        if new := set(member.invites) - known:
            return new.pop()
        await asyncio.sleep(0.1)
    raise TimeoutError(f"{member.user_id} got no new invitation")


async def test_mydata_in_an_encrypted_direct_room_then_forget_me(secret_room):
    world = secret_room
    anna, room, bot_user = world["anna"], world["room"], world["bot_user"]
    await start_bot(world)
    await ask(anna, room, "!update FORTHEM: pilots running")
    await ask(world["bo"], room, "!update Bo's survey is out")
    listing = await ask(anna, room, "!updates")  # the bot's reply to her holds Bo's words
    assert "Bo's survey is out" in listing["body"]
    known = set(anna.invites) | {room}
    answer = await ask(anna, room, "!mydata")
    assert "privately" in answer["body"]
    direct = await wait_for_invite(anna, known)
    await anna.join(direct)

    def from_bot(msgtype: str):
        return lambda e: e.get("sender") == bot_user and e["content"].get("msgtype") == msgtype

    summary = await anna.wait_for(direct, from_bot("m.notice"), timeout=30)
    assert "1 update\n" in summary["content"]["body"]
    await assert_encrypted_on_the_wire(anna, direct, summary["event_id"])
    file_event = await anna.wait_for(direct, from_bot("m.file"), timeout=30)
    await assert_encrypted_on_the_wire(anna, direct, file_event["event_id"])
    data = json.loads(await anna.download(file_event["content"]))
    assert [u["text"] for u in data["stored"]["updates"]] == ["FORTHEM: pilots running"]
    assert "survey is out" not in json.dumps(data)  # GDPR Art. 15(4): not Bo's data
    assert anna.user_id not in json.dumps(await room_bodies(anna, room, bot_user))

    asked = await ask(anna, room, "!forget me")
    assert "!forget me confirm" in asked["body"]
    done = await ask(anna, room, "!forget me confirm")
    assert done["body"].startswith("Done. I deleted 1 update, ")
    assert "you are now “a former member (FORTHEM)”" in done["body"]
    exported = json.loads(await run_cli(world["bot"], "privacy", "export", "--user", anna.user_id))
    # her display name may be reported again by the room (she is still in it): nothing else
    assert set(exported["stored"]) <= {"display_names"}, exported["stored"]


async def room_bodies(member, room: str, bot_user: str) -> list[str]:
    return [e["content"].get("body", "") for e in member.events_from(bot_user, room)]
