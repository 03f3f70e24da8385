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
    ) -> None:
        self.client = client
        self.crypto = crypto
        self.ready = ready  # set after the first sync: rooms and their encryption are known
        self.sleep = sleep
        self.direct = direct  # where messages for one person go (`private:@user`)

    def encrypted(self, room_id: str) -> bool:
        room = self.client.rooms.get(room_id)
        return bool(self.crypto.enabled and room is not None and room.encrypted)

    async def send(self, message: Outgoing, txn_id: str) -> str:
        """Send with a fixed txn id: a retry is deduplicated by the homeserver."""
        await self.ready.wait()
        if (user := private_user(message.room_id)) is not None:
            if self.direct is None:
                raise SendError("no direct rooms on this connection", permanent=True)
            message = replace(message, room_id=await self.direct.room_for(user))
        encrypted = self.encrypted(message.room_id)
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
        """One attempt; None when the encryption layer failed (worth a retry)."""
        if not self.crypto.enabled:
            return await self.client.room_send(
                room_id, event_type, content, tx_id=txn_id, ignore_unverified_devices=True
            )
        if room_id not in self.client.rooms:
            raise SendError(f"not in room {room_id}", permanent=True)
        async with self.crypto.lock:
            try:
                if self.encrypted(room_id):
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
