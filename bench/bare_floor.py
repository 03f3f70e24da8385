"""The second floor: the least any Matrix bot can do per command, without
matrix-nio, as its own process.

Plain aiohttp: log in, join, long-poll `/sync` with the same filter and
timeout as the bot, and answer every member's text message with a threaded
`m.notice` (a fixed transaction id per command, one sender task, in order),
backfilling with `/messages` when a sync is limited. No nio (no response
parsing into objects, no crypto store), no database, no logging per message.
Beside the nio floor (`bench.floor_bot`) it separates what the library
costs from what the bot itself costs.

    python -m bench.bare_floor --homeserver URL --user @floor:localhost --room !id
    (password in BENCH_FLOOR_PASSWORD)
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from urllib.parse import quote

import aiohttp

from bench.floor_common import (
    MAX_BACKFILL_PAGES,
    SEND_ATTEMPTS,
    SYNC_FILTER,
    SYNC_TIMEOUT_MS,
    backoff,
    main,
    reply_content,
)

log = logging.getLogger("bare")
SYNC_FILTER_JSON = json.dumps(SYNC_FILTER)


class BareFloor:
    def __init__(self, homeserver: str, user_id: str, room_id: str) -> None:
        self.base = homeserver.rstrip("/") + "/_matrix/client/v3"
        self.user_id = user_id
        self.room_id = room_id
        self.queue: asyncio.Queue[str] = asyncio.Queue()
        self.stopping = asyncio.Event()
        self.http: aiohttp.ClientSession | None = None
        self.token = ""
        self.seen: dict[str, float] = {}  # event id -> when its sync was read
        self.legs: list[float] = []  # seen -> reply sent, seconds (written at exit)

    async def _call(self, method: str, path: str, **kwargs) -> dict:
        assert self.http is not None
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        async with self.http.request(method, self.base + path, headers=headers, **kwargs) as r:
            body = await r.json(content_type=None)
            if r.status != 200:
                raise RuntimeError(f"{method} {path}: HTTP {r.status} {body}")
            return body

    async def run(self, password: str) -> None:
        timeout = aiohttp.ClientTimeout(total=SYNC_TIMEOUT_MS / 1000 + 30)
        async with aiohttp.ClientSession(timeout=timeout) as self.http:
            login = await self._call(
                "POST",
                "/login",
                json={
                    "type": "m.login.password",
                    "identifier": {"type": "m.id.user", "user": self.user_id},
                    "password": password,
                    "initial_device_display_name": "bare floor",
                },
            )
            self.token = login["access_token"]
            await self._call("POST", f"/join/{quote(self.room_id)}", json={})
            sender = asyncio.create_task(self._send_loop(), name="sender")
            try:
                await self._sync_loop()
            finally:
                sender.cancel()

    async def _sync_loop(self) -> None:
        token: str | None = None
        while not self.stopping.is_set():
            params = {"timeout": str(SYNC_TIMEOUT_MS), "filter": SYNC_FILTER_JSON}
            if token is not None:
                params["since"] = token
            else:
                params["full_state"] = "true"
            try:
                response = await self._call("GET", "/sync", params=params)
            except (aiohttp.ClientError, RuntimeError, TimeoutError):
                await asyncio.sleep(1)
                continue
            if token is not None:
                await self._take(response, token)
            else:
                log.info("sync loop running; rooms listened in: 1")
            token = response["next_batch"]

    async def _take(self, response: dict, since: str) -> None:
        room = response.get("rooms", {}).get("join", {}).get(self.room_id)
        if room is None:
            return
        timeline = room.get("timeline", {})
        events = timeline.get("events", [])
        if timeline.get("limited"):
            events = await self._backfill(timeline.get("prev_batch"), since) + events
        for event in events:
            content = event.get("content") or {}
            if (
                event.get("type") == "m.room.message"
                and event.get("sender") != self.user_id
                and content.get("msgtype") == "m.text"
            ):
                self.seen[event["event_id"]] = time.monotonic()
                self.queue.put_nowait(event["event_id"])

    async def _backfill(self, prev_batch: str | None, since: str) -> list[dict]:
        older: list[dict] = []
        start = prev_batch
        for _ in range(MAX_BACKFILL_PAGES):
            params = {"dir": "b", "to": since, "limit": "100"}
            if start:
                params["from"] = start
            page = await self._call("GET", f"/rooms/{quote(self.room_id)}/messages", params=params)
            if not page.get("chunk"):
                break
            older.extend(page["chunk"])
            if not page.get("end") or page["end"] == start:
                break
            start = page["end"]
        return list(reversed(older))

    async def _send_loop(self) -> None:
        while True:
            event_id = await self.queue.get()
            content = reply_content(event_id)
            path = (
                f"/rooms/{quote(self.room_id)}/send/m.room.message/"
                f"{quote('bare-' + event_id, safe='')}"
            )
            for attempt in range(SEND_ATTEMPTS):
                try:
                    await self._call("PUT", path, json=content)
                    self.legs.append(time.monotonic() - self.seen.pop(event_id, 0.0))
                    break
                except (aiohttp.ClientError, RuntimeError, TimeoutError):
                    await asyncio.sleep(backoff(attempt))


if __name__ == "__main__":
    main("bench.bare_floor", BareFloor)
