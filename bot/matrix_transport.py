"""The Matrix adapter (matrix-nio): sync loop in, replies out.

Resumes from the stored sync token so commands sent while the bot was down
are answered once; on its very first start it answers nothing from before
it arrived. Network errors and 429s are retried by nio with backoff (capped
so the bot is back within seconds of the homeserver); 5xx answers to sync
and send are retried here.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from typing import Any

from nio import (
    AsyncClient,
    AsyncClientConfig,
    ErrorResponse,
    JoinResponse,
    RoomMessagesResponse,
    RoomResolveAliasResponse,
    RoomSendResponse,
    SyncResponse,
    UploadResponse,
)

from bot.config import Config, GroupConfig
from bot.matrix_events import (
    file_content,
    is_own_join,
    message_content,
    reaction_content,
    to_incoming,
)
from bot.matrix_login import log_in
from bot.transport import EventHandler, Outgoing, OutgoingFile, SendError
from storage.db import Storage

log = logging.getLogger(__name__)
SYNC_TOKEN_KEY = "matrix.sync_token"
SYNC_TIMEOUT_MS = 30_000
SYNC_FILTER = {
    "room": {"timeline": {"limit": 100}, "state": {"lazy_load_members": True}},
    "presence": {"types": []},
}
MAX_BACKFILL_PAGES = 50
SEND_ATTEMPTS = 6


def _status(response: Any) -> int:
    transport = getattr(response, "transport_response", None)
    return getattr(transport, "status", 0) or 0


def _backoff(attempt: int) -> float:
    return min(0.5 * 2**attempt, 15.0)


class MatrixTransport:
    def __init__(self, config: Config, storage: Storage) -> None:
        assert config.matrix is not None
        self.config = config
        self.storage = storage
        self.user_id = config.matrix.user_id
        client_config = AsyncClientConfig(
            max_timeout_retry_wait_time=10,
            backoff_factor=0.5,
            request_timeout=SYNC_TIMEOUT_MS / 1000 + 30,
        )
        self.client = AsyncClient(
            config.matrix.homeserver, config.matrix.user_id, config=client_config
        )
        self.rooms: dict[str, GroupConfig] = {}
        self._stopping = asyncio.Event()
        self._listening = False

    async def connect(self) -> dict[str, GroupConfig]:
        """Log in, resolve configured rooms to ids and join them."""
        await log_in(self.client, self.config.matrix, self.config.storage.data_dir)
        for group in self.config.groups:
            room_id = await self._resolve(group.room)
            if room_id:
                self.rooms[room_id] = group
                await self._join(room_id, group)
        return dict(self.rooms)

    async def _resolve(self, room: str) -> str | None:
        if room.startswith("!"):
            return room
        response = await self.client.room_resolve_alias(room)
        if isinstance(response, RoomResolveAliasResponse):
            return response.room_id
        log.error("cannot resolve room alias %s (%s); that group is not served", room, response)
        return None

    async def _join(self, room_id: str, group: GroupConfig) -> None:
        response = await self.client.join(room_id)
        if isinstance(response, JoinResponse):
            log.info("in room %s for group %s", room_id, group.id)
        else:
            log.warning(
                "cannot join %s for group %s yet (%s); invite %s to the room",
                room_id,
                group.id,
                getattr(response, "message", response),
                self.user_id,
            )

    async def start(self, on_event: EventHandler) -> None:
        """Sync until stop(): each batch is handled, then its token stored."""
        token = await self._load_token()
        first_start = token is None
        failures = 0
        if first_start:
            log.info("first start: earlier messages will not be answered")
        while not self._stopping.is_set():
            response = await self._sync_unless_stopped(token, full_state=first_start)
            if response is None:
                return
            if not isinstance(response, SyncResponse):
                wait = (getattr(response, "retry_after_ms", None) or 2000) / 1000
                log.warning(
                    "sync failed (%s, HTTP %s); retrying in %.1fs",
                    getattr(response, "status_code", "?"),
                    _status(response),
                    wait,
                )
                await self._sleep(wait)
                continue
            try:
                await self._handle_invites(response)
                await self._handle_rooms(response, on_event, token, skip_timeline=first_start)
            except Exception:
                failures += 1
                log.exception(
                    "handling a sync batch failed; retrying it in %.0fs", _backoff(failures)
                )
                await self._sleep(_backoff(failures))
                continue  # the token is not advanced: the batch comes again
            failures = 0
            token = response.next_batch
            await self._save_token(token)
            if first_start or not self._listening:
                log.info("sync loop running; listening in %d room(s)", len(self.rooms))
                self._listening = True
            first_start = False

    async def _sync_unless_stopped(self, token: str | None, *, full_state: bool) -> Any:
        """One long-poll sync, abandoned at once when stop() is called."""
        sync = asyncio.ensure_future(
            self.client.sync(
                timeout=SYNC_TIMEOUT_MS, since=token, sync_filter=SYNC_FILTER, full_state=full_state
            )
        )
        stopping = asyncio.ensure_future(self._stopping.wait())
        await asyncio.wait({sync, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not sync.done():
            sync.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sync
            return None
        return sync.result()

    async def _handle_invites(self, response: SyncResponse) -> None:
        for room_id in response.rooms.invite:
            group = self.rooms.get(room_id)
            if group is None:
                log.info("ignoring invite to unconfigured room %s", room_id)
                continue
            await self._join(room_id, group)

    async def _handle_rooms(
        self,
        response: SyncResponse,
        on_event: EventHandler,
        since: str | None,
        *,
        skip_timeline: bool,
    ) -> None:
        for room_id, info in response.rooms.join.items():
            if room_id not in self.rooms or skip_timeline:
                continue
            sources = [event.source for event in info.timeline.events]
            joined_here = [i for i, s in enumerate(sources) if is_own_join(s, self.user_id)]
            if joined_here:
                sources = sources[joined_here[-1] + 1 :]
            elif info.timeline.limited and since:
                sources = await self._backfill(room_id, info.timeline.prev_batch, since) + sources
            for source in sources:
                incoming = to_incoming(source, room_id, self.user_id)
                if incoming is not None:
                    await on_event(incoming)

    async def _backfill(self, room_id: str, prev_batch: str | None, since: str) -> list[dict]:
        """Fetch what a limited sync left out between our last token and this
        batch, so a long outage loses no command."""
        older: list[dict] = []
        start = prev_batch
        for _ in range(MAX_BACKFILL_PAGES):
            response = await self.client.room_messages(room_id, start=start, end=since, limit=100)
            if not isinstance(response, RoomMessagesResponse) or not response.chunk:
                break
            older.extend(event.source for event in response.chunk)
            if not response.end or response.end == start:
                break
            start = response.end
        log.info("backfilled %d events in %s after a gap", len(older), room_id)
        return list(reversed(older))

    async def send(self, message: Outgoing, txn_id: str) -> str:
        """Send with a fixed txn id: a retry is deduplicated by the homeserver."""
        event_type = "m.room.message"
        if message.reaction is not None:
            event_type, content = "m.reaction", reaction_content(message)
        elif message.file is not None:
            content = file_content(message, await self._upload(message.file))
        else:
            content = message_content(message)
        for attempt in range(SEND_ATTEMPTS):
            response = await self.client.room_send(
                message.room_id,
                event_type,
                content,
                tx_id=txn_id,
                ignore_unverified_devices=True,
            )
            if isinstance(response, RoomSendResponse):
                return response.event_id
            status = _status(response)
            reason = f"{getattr(response, 'status_code', '?')} (HTTP {status})"
            if isinstance(response, ErrorResponse) and 400 <= status < 500 and status != 429:
                raise SendError(reason, permanent=True)
            await self._sleep(_backoff(attempt))
        raise SendError(f"gave up after {SEND_ATTEMPTS} attempts: {reason}", permanent=False)

    async def _upload(self, file: OutgoingFile) -> str:
        """Upload to the media repository; the mxc:// URI goes into the event."""
        for attempt in range(SEND_ATTEMPTS):
            response, _keys = await self.client.upload(
                io.BytesIO(file.data),
                content_type=file.mimetype,
                filename=file.name,
                filesize=len(file.data),
            )
            if isinstance(response, UploadResponse):
                return response.content_uri
            status = _status(response)
            if 400 <= status < 500 and status != 429:
                raise SendError(f"upload refused (HTTP {status})", permanent=True)
            await self._sleep(_backoff(attempt))
        raise SendError(f"upload of {file.name} failed {SEND_ATTEMPTS} times", permanent=False)

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but wake at once when the bot is stopping."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def _load_token(self) -> str | None:
        async with self.storage.transaction() as repo:
            return await repo.get_state(SYNC_TOKEN_KEY)

    async def _save_token(self, token: str) -> None:
        async with self.storage.transaction() as repo:
            await repo.set_state(SYNC_TOKEN_KEY, token)

    async def stop(self) -> None:
        self._stopping.set()

    async def close(self) -> None:
        await self.client.close()
