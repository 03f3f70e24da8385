"""End-to-end encryption for the Matrix adapter: keys, trust, unreadable messages.

nio does the cryptography (vodozemac) and keeps the Olm account, the room
keys and what it knows of members' devices in a store under `data_dir`,
opened for the bot's one device id, so a restart still reads what was sent
while the bot was down. What nio's own `sync_forever` would do between
syncs (upload and top up keys, query changed device lists, claim one-time
keys, send queued to-device messages) is done here, because the bot runs its
own sync loop; so is the trust policy, and the bookkeeping for messages nio
could not decrypt. Which devices get room keys is decided in
`bot.chat.matrix.trust`; the bot's own cross-signing identity is
`bot.chat.matrix.identity`. Nothing here logs message content.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from nio import AsyncClient, ErrorResponse, MegolmEvent, RoomKeyEvent
from nio.crypto import OlmDevice
from nio.exceptions import EncryptionError, LocalProtocolError

from bot.chat.matrix.device_policy import DevicePolicy
from bot.chat.matrix.identity import IdentityError, OwnIdentity

log = logging.getLogger(__name__)
STORE_DIR = "crypto"


def store_path(data_dir: Path) -> Path:
    """The crypto store's folder: private, like the session file beside it."""
    path = data_dir / STORE_DIR
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


class BotClient(AsyncClient):
    """nio's client, with relations also in the clear of encrypted events.

    Element reads replies, edits and reactions from the `m.relates_to` of the
    wire (`m.room.encrypted`) content, and servers aggregate edits from it;
    nio only puts it inside the ciphertext. It is copied out, and also kept
    inside so clients that read the decrypted payload see it too."""

    def load_store(self) -> None:
        """nio saves the set of newly encrypted rooms after every sync, and
        its store looks the account up each time even when the set is empty
        (about 1.8 ms of CPU per command in the benchmark's profile): skip
        the call when there is nothing to save."""
        super().load_store()
        store = self.store
        if store is not None:
            save = store.save_encrypted_rooms
            store.save_encrypted_rooms = lambda rooms: save(rooms) if rooms else None

    def encrypt(
        self, room_id: str, message_type: str, content: dict[Any, Any]
    ) -> tuple[str, dict[str, Any]]:
        event_type, payload = super().encrypt(room_id, message_type, content)
        relation = content.get("m.relates_to")
        if relation is not None:
            payload = {**payload, "m.relates_to": relation}
        return event_type, payload


def _failed(response: Any, what: str) -> bool:
    if isinstance(response, ErrorResponse):
        log.warning("%s failed (%s)", what, getattr(response, "status_code", response))
        return True
    return False


class Crypto:
    """Key maintenance and the trust policy for one logged-in client."""

    def __init__(
        self,
        client: AsyncClient,
        policy: str,
        data_dir: Path,
        password: str | None = None,
    ) -> None:
        self.client = client
        self.policy = policy
        # One crypto operation at a time: a key query racing a send's own
        # key sharing would do the work twice.
        self.lock = asyncio.Lock()
        self._waiting: dict[str, list[MegolmEvent]] = {}  # session id -> undecrypted events
        self.upload_refused = False
        self.own = OwnIdentity(client, data_dir, password)
        self._own_checked = False
        self.devices = DevicePolicy(client, policy, data_dir)

    @property
    def enabled(self) -> bool:
        return self.client.olm is not None

    @property
    def ignore_unverified(self) -> bool:
        """What nio's room_send does with a device the policy has not decided
        yet (it appeared in the send's own key query, or its owner's identity
        could not be fetched): never share the key; the send refuses the
        device and retries, and the device gets the next key once trusted."""
        return False

    async def maintain(self, room_ids: Iterable[str]) -> None:
        """Between syncs, as nio's sync_forever does, then the trust policy."""
        if not self.enabled:
            return
        client = self.client
        room_ids = list(room_ids)
        async with self.lock:
            if client.should_upload_keys and not self.upload_refused:
                await self._upload_keys()
            for room_id in room_ids:
                await self._know_members(room_id)
            if client.should_query_keys:
                changed = set(client.olm.users_for_key_query)
                _failed(await client.keys_query(), "querying members' device keys")
                self.devices.forget_identities(changed)
            await self._check_own_identity()
            await self.devices.learn_identities(room_ids)
            if client.should_claim_keys:
                users = client.get_users_for_key_claiming()
                _failed(await client.keys_claim(users), "claiming one-time keys")
            if client.outgoing_to_device_messages:
                for response in await client.send_to_device_messages():
                    _failed(response, "sending a to-device message")
            self.apply_policy(room_ids)

    async def _upload_keys(self) -> None:
        """The device keys once in the device's life, then one-time keys
        whenever members have claimed enough of them."""
        client = self.client
        assert client.olm is not None
        first = not client.olm.account.shared
        response = await client.keys_upload()
        if not isinstance(response, ErrorResponse):
            what = "device keys uploaded" if first else "one-time keys topped up"
            log.info("%s for device %s", what, client.device_id)
            return
        transport = getattr(response, "transport_response", None)
        if first and getattr(transport, "status", 0) == 400:
            self.upload_refused = True  # retrying would fail the same way after every sync
            log.error(
                "the homeserver refused new keys for device %s (%s): it holds other keys for "
                "this device, so the crypto store in data_dir is not the one the device was "
                "created with. Encrypted rooms cannot work: stop the bot, delete "
                "matrix-session.json in data_dir and start it again, as a new device",
                client.device_id,
                getattr(response, "status_code", "?"),
            )
        else:
            _failed(response, "uploading encryption keys")

    async def before_send(self, room_id: str) -> None:
        """Know every member and their devices before the room key is shared
        (after a restart nio knows only the members the first sync named)."""
        client = self.client
        await self._know_members(room_id)
        if client.should_query_keys:
            changed = set(client.olm.users_for_key_query)
            _failed(await client.keys_query(), "querying members' device keys")
            self.devices.forget_identities(changed)
        await self.devices.learn_identities([room_id])
        self.apply_policy([room_id])

    async def _know_members(self, room_id: str) -> None:
        """The policy judges every member's devices, and after a restart nio
        knows only the members the first sync named (lazy loading): fetch the
        list once per run; nio keeps it current from member events."""
        room = self.client.rooms.get(room_id)
        if room is not None and not room.members_synced:
            _failed(await self.client.joined_members(room_id), "listing the room's members")

    async def _check_own_identity(self) -> None:
        """Once per run, after the device keys are up: the bot's identity."""
        if self._own_checked or not self.client.olm.account.shared:
            return
        self._own_checked = True
        try:
            await self.own.ensure()
        except IdentityError as exc:
            log.error("cross-signing: %s; the bot's device stays unsigned", exc)

    def needs_judging(self, senders: Iterable[str]) -> bool:
        """Whether devices changed, or a sender's identity is not known yet
        (e.g. the first message after a restart): then the policy runs before
        their messages are read."""
        if not self.enabled:
            return False
        return self.client.should_query_keys or self.devices.unjudged(senders)

    def apply_policy(self, room_ids: Iterable[str]) -> None:
        self.devices.apply(room_ids)

    def refuses(self, event: Any) -> bool:
        return self.devices.refuses(event)

    def refuse_device(self, device: OlmDevice) -> None:
        self.devices.refuse_device(device)

    async def undecryptable(self, room_id: str, event: MegolmEvent) -> None:
        """Log it (session id, never content), keep it for a retry when its key
        arrives, and ask for the key once per session."""
        log.warning(
            "cannot decrypt %s from %s in %s (device %s, session %s); key requested",
            event.event_id,
            event.sender,
            room_id,
            event.device_id,
            event.session_id,
        )
        event.room_id = room_id
        self._waiting.setdefault(event.session_id, []).append(event)
        if event.session_id in self.client.outgoing_key_requests:
            return
        try:
            _failed(await self.client.request_room_key(event), "requesting a room key")
        except LocalProtocolError as exc:  # already requested (the store remembers)
            log.info("room key for session %s: %s", event.session_id, exc)

    def retry(self, to_device_events: Iterable[Any]) -> list[tuple[str, Any]]:
        """Events that can be decrypted now that their room key has arrived."""
        ready: list[tuple[str, Any]] = []
        for key_event in to_device_events:
            if not isinstance(key_event, RoomKeyEvent):
                continue
            for event in self._waiting.pop(key_event.session_id, []):
                try:
                    ready.append((event.room_id, self.client.decrypt_event(event)))
                except EncryptionError:
                    log.warning("still cannot decrypt %s after its key arrived", event.event_id)
        if ready:
            log.info("earlier messages decrypted after their keys arrived: %d", len(ready))
        return ready
