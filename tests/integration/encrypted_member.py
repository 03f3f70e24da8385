"""A room member whose client encrypts, the way Element does by default.

It has its own crypto store, uploads its keys, keeps them topped up between
syncs, shares room keys with every device in the room (as Element does with
unverified devices) and decrypts what it receives: the decrypted events go
into the same `timeline` record as clear ones, so `wait_for_reply` and
friends work unchanged. `wire_event` shows what the homeserver really holds.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
from nio import AsyncClient, AsyncClientConfig, DownloadResponse, ErrorResponse
from nio.crypto import decrypt_attachment

from .matrix_member import Event, MatrixError, MatrixMember, _ok


class ElementLikeClient(AsyncClient):
    """Moves `m.relates_to` out of the ciphertext into the clear, as Element
    (matrix-rust-sdk) does, so the bot must read relations from there."""

    def encrypt(
        self, room_id: str, message_type: str, content: dict[Any, Any]
    ) -> tuple[str, dict[str, Any]]:
        relation = content.get("m.relates_to")
        inner = {k: v for k, v in content.items() if k != "m.relates_to"}
        event_type, payload = super().encrypt(room_id, message_type, inner)
        if relation is not None:
            payload = {**payload, "m.relates_to": relation}
        return event_type, payload


class EncryptedMember(MatrixMember):
    encrypted = True

    def __init__(self, homeserver: str, user_id: str, password: str, store_dir: Path) -> None:
        self.store_dir = store_dir
        self.homeserver = homeserver
        self.decrypted_ids: set[str] = set()  # events that were m.room.encrypted on the wire
        super().__init__(homeserver, user_id, password)

    def _make_client(self, homeserver: str, user_id: str, config: AsyncClientConfig) -> AsyncClient:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        return ElementLikeClient(homeserver, user_id, store_path=str(self.store_dir), config=config)

    async def login(self) -> None:
        await super().login()
        await self._after_sync()

    async def _after_sync(self) -> None:
        """What nio's sync_forever does between syncs."""
        client = self.client
        if client.should_upload_keys:
            _ok(await client.keys_upload(), "keys_upload")
        if client.should_query_keys:
            await client.keys_query()
        if client.should_claim_keys:
            await client.keys_claim(client.get_users_for_key_claiming())
        await client.send_to_device_messages()

    def _record(self, room_id: str, timeline: Any) -> None:
        events = list(timeline)
        for event in events:
            if getattr(event, "decrypted", False):
                self.decrypted_ids.add(event.event_id)
        super()._record(room_id, events)

    async def send(
        self, room_id: str, content: dict[str, Any], event_type: str = "m.room.message"
    ) -> str:
        """Encrypted for every device in the room, verified or not (Element's default)."""
        await self._after_sync()
        resp = await self.client.room_send(
            room_id, event_type, content, ignore_unverified_devices=True
        )
        return str(_ok(resp, f"send {event_type}").event_id)

    def knows_devices_of(self, user_id: str) -> bool:
        return bool(list(self.client.device_store.active_user_devices(user_id)))

    async def wait_for_devices_of(self, room_id: str, user_id: str, timeout: float = 20.0) -> None:
        """Until this member has seen `user_id` join and fetched its device keys,
        so what it sends next is encrypted for that user too."""
        await self.wait_for(
            room_id,
            lambda e: (
                e.get("type") == "m.room.member"
                and e.get("state_key") == user_id
                and e["content"].get("membership") == "join"
            ),
            timeout,
        )
        for _ in range(int(timeout * 4)):
            if self.knows_devices_of(user_id):
                return
            await self.sync_barrier()
        raise TimeoutError(f"{self.user_id} never learned the devices of {user_id}")

    # -- the wire -------------------------------------------------------------

    async def _http(self, method: str, path: str, body: dict | None = None) -> dict:
        headers = {"Authorization": f"Bearer {self.client.access_token}"}
        url = f"{self.homeserver}/_matrix/client/v3{path}"
        async with (
            aiohttp.ClientSession() as session,
            session.request(method, url, json=body, headers=headers) as resp,
        ):
            data = await resp.json()
            if resp.status != 200:
                raise MatrixError(f"{method} {path}: {resp.status} {data}")
            return data

    async def wire_event(self, room_id: str, event_id: str) -> Event:
        """The event as the homeserver stores it (ciphertext for encrypted ones)."""
        return await self._http("GET", f"/rooms/{quote(room_id)}/event/{quote(event_id)}")

    async def send_raw(self, room_id: str, event_type: str, content: dict[str, Any]) -> str:
        """Send exactly this content, bypassing nio's encryption."""
        txn = secrets.token_hex(8)
        path = f"/rooms/{quote(room_id)}/send/{event_type}/{txn}"
        return str((await self._http("PUT", path, content))["event_id"])

    async def send_undecryptable(self, room_id: str, session_id: str) -> str:
        """An m.room.encrypted event whose session nobody ever received."""
        olm = self.client.olm
        assert olm is not None
        content = {
            "algorithm": "m.megolm.v1.aes-sha2",
            "sender_key": olm.account.identity_keys["curve25519"],
            "device_id": self.client.device_id,
            "session_id": session_id,
            "ciphertext": "AwgAEnB" + secrets.token_urlsafe(90).replace("-", "a").replace("_", "b"),
        }
        return await self.send_raw(room_id, "m.room.encrypted", content)

    async def send_key_withheld(self, room_id: str, body: str) -> tuple[str, dict[str, Any]]:
        """A message in a fresh Megolm session shared with nobody; returns its
        event id and the session's key (at the message's index) for
        `send_room_key`, as when a client's key share is delayed or lost."""
        olm = self.client.olm
        assert olm is not None
        olm.create_outbound_group_session(room_id)
        session = olm.outbound_group_sessions[room_id]
        key = {
            "algorithm": "m.megolm.v1.aes-sha2",
            "room_id": room_id,
            "session_id": session.id,
            "session_key": session.session_key,
        }
        session.shared = True  # so nio encrypts without sharing it first
        try:
            event_id = await self.send(room_id, {"msgtype": "m.text", "body": body})
        finally:
            olm.outbound_group_sessions.pop(room_id, None)  # later messages: a shared one
        return event_id, key

    async def send_room_key(self, user_id: str, key: dict[str, Any]) -> None:
        """Olm-encrypt an m.room_key to every device of `user_id` we have a session with."""
        olm = self.client.olm
        assert olm is not None
        messages: dict[str, Any] = {}
        for device in olm.device_store.active_user_devices(user_id):
            session = olm.session_store.get(device.curve25519)
            if session is not None:
                messages[device.id] = olm._olm_encrypt(session, device, "m.room_key", key)
        assert messages, f"no Olm session with any device of {user_id}"
        path = f"/sendToDevice/m.room.encrypted/{secrets.token_hex(8)}"
        await self._http("PUT", path, {"messages": {user_id: messages}})

    async def download(self, content: dict[str, Any]) -> bytes:
        """A file event's data, decrypted if it was uploaded encrypted."""
        encrypted = content.get("file")
        response = await self.client.download(encrypted["url"] if encrypted else content["url"])
        if isinstance(response, ErrorResponse) or not isinstance(response, DownloadResponse):
            raise MatrixError(f"download failed: {response}")
        if not encrypted:
            return response.body
        key = encrypted["key"]["k"]
        return decrypt_attachment(
            response.body, key, encrypted["hashes"]["sha256"], encrypted["iv"]
        )
