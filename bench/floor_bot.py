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

import argparse
import asyncio
import logging
import os
import signal

from nio import (
    AsyncClient,
    AsyncClientConfig,
    LoginResponse,
    RoomMessagesResponse,
    RoomSendResponse,
    SyncResponse,
)

log = logging.getLogger("floor")
# Same values as bot/chat/matrix/transport.py (copied, not imported: importing the
# bot would load its storage and handlers, which the floor must not pay for).
SYNC_TIMEOUT_MS = 30_000
SYNC_FILTER = {
    "room": {"timeline": {"limit": 100}, "state": {"lazy_load_members": True}},
    "presence": {"types": []},
}
MAX_BACKFILL_PAGES = 50
SEND_ATTEMPTS = 6


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
                log.info("sync loop running; listening in 1 room(s)")
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
            content = {
                "msgtype": "m.notice",
                "body": "ok",
                "m.mentions": {},
                "m.relates_to": {"m.in_reply_to": {"event_id": event_id}},
            }
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
                await asyncio.sleep(min(0.5 * 2**attempt, 15.0))


async def _main() -> None:
    parser = argparse.ArgumentParser(prog="bench.floor_bot")
    parser.add_argument("--homeserver", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--room", required=True)
    args = parser.parse_args()
    floor = Floor(args.homeserver, args.user, args.room)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, floor.stopping.set)
    task = asyncio.create_task(floor.run(os.environ["BENCH_FLOOR_PASSWORD"]))
    stop = asyncio.create_task(floor.stopping.wait())
    await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
    task.cancel()


if __name__ == "__main__":
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("nio").setLevel(logging.WARNING)  # as the bot does: no line per event
    asyncio.run(_main())
