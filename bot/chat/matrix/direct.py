"""Direct rooms: how a message for one person alone (`private:@user`, e.g.
`!mydata`) reaches them on Matrix.

The bot opens a direct room with the person (`is_direct`, trusted private
chat, encrypted whenever the bot's encryption is on, so only the person's
devices get the key) and keeps its id in the database, so a later private
message goes to the same room, also after a restart. Messages are sent as
soon as the room is known from the sync, before the person accepts the
invitation: they are in the room's history when they do.
"""

from __future__ import annotations

import asyncio
import logging

from nio import AsyncClient, RoomCreateResponse, RoomPreset
from nio.event_builders import EnableEncryptionBuilder

from bot.chat.matrix.crypto import Crypto
from bot.chat.transport import SendError, private_state_key
from storage.db import Storage

log = logging.getLogger(__name__)
KNOWN_WAIT_S = 30.0


class DirectRooms:
    def __init__(self, client: AsyncClient, storage: Storage, crypto: Crypto) -> None:
        self.client = client
        self.storage = storage
        self.crypto = crypto  # known to be on or off only after the login
        self._known: dict[str, str] = {}
        self._lock = asyncio.Lock()

    async def room_for(self, user_id: str) -> str:
        """The direct room with `user_id`, opened on first use."""
        async with self._lock:
            room_id = self._known.get(user_id) or await self._stored(user_id)
            if room_id is None or not self._still_with(room_id, user_id):
                room_id = await self._open(user_id)
            self._known[user_id] = room_id
        await self._until_synced(room_id, user_id)
        return room_id

    def _still_with(self, room_id: str, user_id: str) -> bool:
        """The room is usable while the person is in it or still invited; one
        they declined or left is not (a new room is opened, never a wait)."""
        room = self.client.rooms.get(room_id)
        return room is not None and user_id in room.users

    async def _stored(self, user_id: str) -> str | None:
        async with self.storage.transaction() as repo:
            return await repo.get_state(private_state_key(user_id))

    async def _open(self, user_id: str) -> str:
        encrypted = self.crypto.enabled
        initial = [EnableEncryptionBuilder().as_dict()] if encrypted else []
        response = await self.client.room_create(
            is_direct=True,
            preset=RoomPreset.trusted_private_chat,
            invite=[user_id],
            initial_state=initial,
        )
        if not isinstance(response, RoomCreateResponse):
            raise SendError(f"could not open a direct room ({response})", permanent=False)
        async with self.storage.transaction() as repo:
            await repo.set_state(private_state_key(user_id), response.room_id)
        log.info("opened direct room %s (encrypted: %s)", response.room_id, encrypted)
        return response.room_id

    async def _until_synced(self, room_id: str, user_id: str) -> None:
        """Sending needs the room's state from the sync: its encryption, and
        the person's invitation, or the first message's room key would be
        shared with nobody (nio shares a session with a member added later
        only from their first message on)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + KNOWN_WAIT_S
        rooms = self.client.rooms
        while room_id not in rooms or user_id not in rooms[room_id].users:
            if loop.time() > deadline:
                raise SendError(f"direct room {room_id} not in the sync yet", permanent=False)
            await asyncio.sleep(0.2)
