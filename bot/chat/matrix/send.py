"""Sending to Matrix: messages, reactions, edits and files, in clear or encrypted rooms.

Each send carries a fixed transaction id, so a retry is deduplicated by the
homeserver. In an encrypted room nio encrypts the event and shares the room
key with the members' devices first; which devices get it is the trust
policy's (`bot.chat.matrix.crypto`), and files are uploaded encrypted, their key
going into the (encrypted) event.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from nio import AsyncClient, ErrorResponse, RoomSendResponse, UploadResponse
from nio.exceptions import (
    EncryptionError,
    LocalProtocolError,
    OlmUnverifiedDeviceError,
    SendRetryError,
)

from bot.chat.matrix.crypto import Crypto
from bot.chat.matrix.direct import DirectRooms
from bot.chat.matrix.events import file_content, message_content, reaction_content
from bot.chat.transport import Outgoing, OutgoingFile, SendError, private_user

log = logging.getLogger(__name__)
SEND_ATTEMPTS = 6
Sleep = Callable[[float], Awaitable[None]]


def status_of(response: Any) -> int:
    transport = getattr(response, "transport_response", None)
    return getattr(transport, "status", 0) or 0


def backoff(attempt: int) -> float:
    return min(0.5 * 2**attempt, 15.0)


class MatrixSender:
    def __init__(
        self,
        client: AsyncClient,
        crypto: Crypto,
        ready: asyncio.Event,
        sleep: Sleep,
        direct: DirectRooms | None = None,
        rooms_known: asyncio.Event | None = None,
    ) -> None:
        self.client = client
        self.crypto = crypto
        # After the first sync nio knows the rooms, and which are encrypted:
        # a plain room can be sent to then. An encrypted one waits for `ready`,
        # the first round of key work after it (members' devices, one-time
        # keys, the trust policy), which on a restart takes about 0.1 s.
        self.rooms_known = rooms_known or ready
        self.ready = ready
        self.sleep = sleep
        self.direct = direct  # where messages for one person go (`private:@user`)

    def encrypted(self, room_id: str) -> bool:
        room = self.client.rooms.get(room_id)
        return bool(self.crypto.enabled and room is not None and room.encrypted)

    async def send(self, message: Outgoing, txn_id: str) -> str:
        """Send with a fixed txn id: a retry is deduplicated by the homeserver."""
        await self.rooms_known.wait()
        if (user := private_user(message.room_id)) is not None:
            if self.direct is None:
                raise SendError("no direct rooms on this connection", permanent=True)
            await self.ready.wait()  # finding or making the direct room is key work too
            message = replace(message, room_id=await self.direct.room_for(user))
        encrypted = self.encrypted(message.room_id)
        if encrypted:
            await self.ready.wait()
        event_type = "m.room.message"
        if message.reaction is not None:
            event_type, content = "m.reaction", reaction_content(message)
        elif message.file is not None:
            uri, keys = await self._upload(message.file, encrypted)
            content = file_content(message, uri, keys)
        else:
            content = message_content(message)
        reason = "not sent"
        for attempt in range(SEND_ATTEMPTS):
            response = await self._room_send(message.room_id, event_type, content, txn_id)
            if isinstance(response, RoomSendResponse):
                return response.event_id
            if response is not None:
                status = status_of(response)
                reason = f"{getattr(response, 'status_code', '?')} (HTTP {status})"
                if isinstance(response, ErrorResponse) and 400 <= status < 500 and status != 429:
                    raise SendError(reason, permanent=True)
            await self.sleep(backoff(attempt))
        raise SendError(f"gave up after {SEND_ATTEMPTS} attempts: {reason}", permanent=False)

    async def _room_send(
        self, room_id: str, event_type: str, content: dict[str, Any], txn_id: str
    ) -> Any:
        """One attempt; None when the encryption layer failed (worth a retry).
        Only an encrypted room's send takes the crypto lock (its key work
        and the room key's sharing); a plain room's does not wait for it."""
        if self.crypto.enabled and room_id not in self.client.rooms:
            raise SendError(f"not in room {room_id}", permanent=True)
        if not self.encrypted(room_id):
            return await self.client.room_send(
                room_id, event_type, content, tx_id=txn_id, ignore_unverified_devices=True
            )
        async with self.crypto.lock:
            try:
                await self.crypto.before_send(room_id)
                return await self.client.room_send(
                    room_id,
                    event_type,
                    dict(content),
                    tx_id=txn_id,
                    ignore_unverified_devices=self.crypto.ignore_unverified,
                )
            except OlmUnverifiedDeviceError as exc:  # appeared during the send itself
                self.crypto.refuse_device(exc.device)
            except (EncryptionError, LocalProtocolError, SendRetryError) as exc:
                log.warning("encrypting for %s failed (%s); will retry", room_id, exc)
        return None

    async def _upload(self, file: OutgoingFile, encrypt: bool) -> tuple[str, dict | None]:
        """Upload to the media repository (as ciphertext for an encrypted room);
        the mxc:// URI, and the keys to read it, go into the event."""
        for attempt in range(SEND_ATTEMPTS):
            response, keys = await self.client.upload(
                io.BytesIO(file.data),
                content_type=file.mimetype,
                filename=file.name,
                filesize=len(file.data),
                encrypt=encrypt,
            )
            if isinstance(response, UploadResponse):
                return response.content_uri, keys
            status = status_of(response)
            if 400 <= status < 500 and status != 429:
                raise SendError(f"upload refused (HTTP {status})", permanent=True)
            await self.sleep(backoff(attempt))
        raise SendError(f"upload of {file.name} failed {SEND_ATTEMPTS} times", permanent=False)


async def sleep_unless(stopping: asyncio.Event, seconds: float) -> None:
    """Sleep, but wake at once when the bot is stopping."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), seconds)
