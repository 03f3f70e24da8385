"""The floor: the least a matrix-nio bot can do per command, as its own process.

It syncs like allies-bot (same nio client settings, same sync filter and
long-poll timeout, a first sync whose timeline is skipped, backfill after a
limited sync) and answers every member's text message with an m.notice
threaded as a reply, sent in order by one sender task with a fixed
transaction id, as the bot's outbox does. What it leaves out is exactly what
the benchmark wants to price: no command parsing, no database, no logging
per message.

    python -m bench.floor_bot --homeserver URL --user @floor:localhost --room !id
    (password in BENCH_FLOOR_PASSWORD)
"""

from __future__ import annotations

import asyncio
import logging

from nio import (
    AsyncClient,
    AsyncClientConfig,
    LoginResponse,
    RoomMessagesResponse,
    RoomSendResponse,
    SyncResponse,
)

from bench.floor_common import (
    MAX_BACKFILL_PAGES,
    SEND_ATTEMPTS,
    SYNC_FILTER,
    SYNC_TIMEOUT_MS,
    backoff,
    main,
    reply_content,
)

log = logging.getLogger("floor")


class Floor:
    def __init__(self, homeserver: str, user_id: str, room_id: str) -> None:
        config = AsyncClientConfig(
            max_timeout_retry_wait_time=10,
            backoff_factor=0.5,
            request_timeout=SYNC_TIMEOUT_MS / 1000 + 30,
        )
        self.client = AsyncClient(homeserver, user_id, config=config)
        self.user_id = user_id
        self.room_id = room_id
        self.queue: asyncio.Queue[str] = asyncio.Queue()
        self.stopping = asyncio.Event()

    async def run(self, password: str) -> None:
        login = await self.client.login(password=password, device_name="floor")
        if not isinstance(login, LoginResponse):
            raise SystemExit(f"floor: login failed: {login}")
        await self.client.join(self.room_id)
        sender = asyncio.create_task(self._send_loop(), name="sender")
        try:
            await self._sync_loop()
        finally:
            sender.cancel()
            await self.client.close()

    async def _sync_loop(self) -> None:
        token: str | None = None
        while not self.stopping.is_set():
            response = await self.client.sync(
                timeout=SYNC_TIMEOUT_MS,
                since=token,
                sync_filter=SYNC_FILTER,
                full_state=token is None,
            )
            if not isinstance(response, SyncResponse):
                await asyncio.sleep(1)
                continue
            if token is not None:
                await self._take(response, token)
            else:
                log.info("sync loop running; rooms listened in: 1")
            token = response.next_batch

    async def _take(self, response: SyncResponse, since: str) -> None:
        info = response.rooms.join.get(self.room_id)
        if info is None:
            return
        sources = [event.source for event in info.timeline.events]
        if info.timeline.limited:
            sources = await self._backfill(info.timeline.prev_batch, since) + sources
        for source in sources:
            content = source.get("content") or {}
            if (
                source.get("type") == "m.room.message"
                and source.get("sender") != self.user_id
                and content.get("msgtype") == "m.text"
            ):
                self.queue.put_nowait(source["event_id"])

    async def _backfill(self, prev_batch: str | None, since: str) -> list[dict]:
        older: list[dict] = []
        start = prev_batch
        for _ in range(MAX_BACKFILL_PAGES):
            response = await self.client.room_messages(
                self.room_id, start=start, end=since, limit=100
            )
            if not isinstance(response, RoomMessagesResponse) or not response.chunk:
                break
            older.extend(event.source for event in response.chunk)
            if not response.end or response.end == start:
                break
            start = response.end
        return list(reversed(older))

    async def _send_loop(self) -> None:
        while True:
            event_id = await self.queue.get()
            content = reply_content(event_id)
            for attempt in range(SEND_ATTEMPTS):
                response = await self.client.room_send(
                    self.room_id,
                    "m.room.message",
                    content,
                    tx_id=f"floor-{event_id}",
                    ignore_unverified_devices=True,
                )
                if isinstance(response, RoomSendResponse):
                    break
                await asyncio.sleep(backoff(attempt))


if __name__ == "__main__":
    main("bench.floor_bot", Floor)
