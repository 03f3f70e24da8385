"""Megolm events without the deprecated `sender_key` / `device_id` fields.

A member's Rust-crypto client may leave both out (allowed since Matrix
v1.3). The room key here is made with vodozemac, as the member's client
makes it, and handed to the bot's real nio client; the event goes through
nio's own parsing and decryption. The same event through nio without
`bot.chat.matrix.nio_patch` (a fresh interpreter) is not decryptable.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import vodozemac
from nio import AsyncClient, AsyncClientConfig, MegolmEvent, RoomMessageText
from nio.crypto import OlmDevice
from nio.crypto.sessions import InboundGroupSession
from nio.events import Event

from bot.chat.matrix import nio_patch

ROOM = "!secret:example.org"
ANNA = "@anna:example.org"
ANNA_DEVICE = "ANNAPHONE"


def megolm_event(group: vodozemac.GroupSession, body: str, *, deprecated_fields: dict) -> dict:
    payload = {
        "type": "m.room.message",
        "room_id": ROOM,
        "content": {"msgtype": "m.text", "body": body},
    }
    return {
        "type": "m.room.encrypted",
        "event_id": "$new-style",
        "sender": ANNA,
        "origin_server_ts": 1_700_000_000_000,
        "room_id": ROOM,
        "content": {
            "algorithm": nio_patch.MEGOLM,
            "ciphertext": group.encrypt(json.dumps(payload).encode()).to_base64(),
            "session_id": group.session_id,
            **deprecated_fields,
        },
    }


@pytest.fixture
async def bot_and_anna(tmp_path: Path):
    """The bot's nio client with Anna's room key and device, as after a key share."""
    nio_patch.apply()
    client = AsyncClient(
        "https://matrix.example.org",
        "@allies-bot:example.org",
        store_path=str(tmp_path),
        config=AsyncClientConfig(encryption_enabled=True, store_sync_tokens=False),
    )
    client.restore_login("@allies-bot:example.org", "BOTDEVICE", "token")
    anna = vodozemac.Account()
    group = vodozemac.GroupSession()
    curve, ed = anna.curve25519_key.to_base64(), anna.ed25519_key.to_base64()
    client.device_store.add(OlmDevice(ANNA, ANNA_DEVICE, {"ed25519": ed, "curve25519": curve}))
    client.olm.inbound_group_store.add(
        InboundGroupSession(group.session_key.to_base64(), ed, curve, ROOM)
    )
    yield client, group, curve
    await client.close()


async def test_an_event_without_the_deprecated_fields_is_decrypted(bot_and_anna):
    client, group, anna_curve = bot_and_anna
    source = megolm_event(group, "!update from Element", deprecated_fields={})
    event = Event.parse_event(source)
    assert isinstance(event, MegolmEvent)
    assert event.source is source  # the event as received, not the filled-in copy
    decrypted = client.decrypt_event(event)
    assert isinstance(decrypted, RoomMessageText)
    assert decrypted.body == "!update from Element"
    assert (event.sender_key, event.device_id) == (anna_curve, ANNA_DEVICE)


async def test_an_event_with_the_fields_is_decrypted_as_before(bot_and_anna):
    client, group, anna_curve = bot_and_anna
    fields = {"sender_key": anna_curve, "device_id": ANNA_DEVICE}
    event = Event.parse_event(megolm_event(group, "!help", deprecated_fields=fields))
    assert client.decrypt_event(event).body == "!help"


async def test_without_a_room_key_it_stays_undecryptable(bot_and_anna):
    client, _, _ = bot_and_anna
    unknown = vodozemac.GroupSession()
    event = Event.parse_event(megolm_event(unknown, "!help", deprecated_fields={}))
    assert isinstance(event, MegolmEvent) and event.sender_key == ""
    assert client.olm._decrypt_megolm_no_error(event) is None


def test_nio_alone_cannot_parse_such_an_event():
    """Why the patch exists: unpatched nio (a fresh interpreter) turns the
    event into a bad event, which it never tries to decrypt."""
    source = megolm_event(vodozemac.GroupSession(), "!help", deprecated_fields={})
    script = (
        "import json, sys\nfrom nio.events import Event\n"
        "print(type(Event.parse_event(json.load(sys.stdin))).__name__)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps(source),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() in ("UnknownBadEvent", "BadEvent")
