"""Room members as lightweight Matrix clients: the benchmark's load generator.

Plain client-server API calls over one aiohttp session, not matrix-nio: the
load generator shares two cores with Synapse and the process under test, so
it must cost as little as possible and add no client-side state handling to
what is measured. Every member sends from its own account; the replies are
observed by member clients that sync the way Element does (long-poll
`/sync`), and each reply is stamped with the moment its sync response
arrived.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import aiohttp

log = logging.getLogger(__name__)
SYNC_TIMEOUT_MS = 30_000
CALL_ATTEMPTS = 6
MAX_HISTORY_PAGES = 100


class ApiError(RuntimeError):
    """A client-server call failed for good (after retries)."""


@dataclass(frozen=True)
class Account:
    user_id: str
    token: str
    password: str = ""


def reply_target(event: dict[str, Any]) -> str | None:
    """Event id an m.room.message replies to (rich reply), or None."""
    relates = (event.get("content") or {}).get("m.relates_to") or {}
    target = (relates.get("m.in_reply_to") or {}).get("event_id")
    return target if isinstance(target, str) else None


class Api:
    """The few client-server endpoints the benchmark needs, with bounded retries."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._session: aiohttp.ClientSession | None = None
        self._txn = 0

    async def __aenter__(self) -> Api:
        connector = aiohttp.TCPConnector(limit=200)
        self._session = aiohttp.ClientSession(connector=connector)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()

    def txn_id(self) -> str:
        self._txn += 1
        return f"bench-{time.time_ns()}-{self._txn}"

    async def call(
        self,
        method: str,
        path: str,
        token: str,
        body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        timeout: float = 60.0,
    ) -> dict[str, Any]:
        assert self._session is not None, "use `async with Api(...)`"
        headers = {"Authorization": f"Bearer {token}"}
        last = ""
        for attempt in range(CALL_ATTEMPTS):
            try:
                async with self._session.request(
                    method,
                    self.base_url + path,
                    json=body,
                    params=params,
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=timeout),
                ) as resp:
                    data = await resp.json(content_type=None)
                    if resp.status < 300:
                        return dict(data)
                    last = f"{method} {path} -> {resp.status}: {data}"
                    if resp.status == 429:
                        await asyncio.sleep((data or {}).get("retry_after_ms", 500) / 1000)
                        continue
                    if resp.status < 500:
                        raise ApiError(last)
            except (aiohttp.ClientError, TimeoutError) as exc:
                last = f"{method} {path}: {exc!r}"
            await asyncio.sleep(min(0.25 * 2**attempt, 4.0))
        raise ApiError(f"gave up after {CALL_ATTEMPTS} attempts: {last}")

    async def create_room(self, token: str, name: str, invite: list[str]) -> str:
        body = {"name": name, "preset": "private_chat", "invite": invite}
        return str(
            (await self.call("POST", "/_matrix/client/v3/createRoom", token, body))["room_id"]
        )

    async def join(self, token: str, room_id: str) -> None:
        await self.call("POST", f"/_matrix/client/v3/join/{quote(room_id)}", token, {})

    async def send_text(self, token: str, room_id: str, body: str) -> str:
        path = (
            f"/_matrix/client/v3/rooms/{quote(room_id)}/send/m.room.message/{quote(self.txn_id())}"
        )
        content = {"msgtype": "m.text", "body": body}
        return str((await self.call("PUT", path, token, content))["event_id"])

    async def history(self, token: str, room_id: str) -> list[dict[str, Any]]:
        """Every m.room.message of the room, oldest first, straight from the server."""
        path = f"/_matrix/client/v3/rooms/{quote(room_id)}/messages"
        params = {"dir": "b", "limit": "1000", "filter": json.dumps({"types": ["m.room.message"]})}
        events: list[dict[str, Any]] = []
        for _ in range(MAX_HISTORY_PAGES):
            page = await self.call("GET", path, token, params=params)
            events.extend(page.get("chunk") or [])
            end = page.get("end")
            if not page.get("chunk") or not end:
                break
            params["from"] = end
        return list(reversed(events))


@dataclass
class Arrival:
    at: float  # time.monotonic() when the sync response holding the reply arrived
    event_id: str


@dataclass
class Observer:
    """One member's client, syncing one room, recording every reply by the subject."""

    api: Api
    account: Account
    room_id: str
    subject: str  # user id of the bot (or floor) whose replies are recorded
    replies: dict[str, list[Arrival]] = field(default_factory=dict)
    gaps: int = 0  # "limited" syncs: events the client never saw (latency unknown)
    syncs: int = 0
    _seen: set[str] = field(default_factory=set)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None
    _since: str | None = None

    def _filter(self) -> str:
        return json.dumps(
            {
                "room": {
                    "rooms": [self.room_id],
                    "timeline": {"limit": 1000},
                    "state": {"lazy_load_members": True},
                    "ephemeral": {"not_types": ["*"]},
                    "account_data": {"not_types": ["*"]},
                },
                "presence": {"not_types": ["*"]},
                "account_data": {"not_types": ["*"]},
            }
        )

    async def start(self) -> None:
        """Initial sync (history before now is not recorded), then long-poll."""
        params = {"filter": self._filter(), "timeout": "0"}
        first = await self.api.call(
            "GET", "/_matrix/client/v3/sync", self.account.token, None, params
        )
        self._since = first["next_batch"]
        self._task = asyncio.create_task(self._loop(), name=f"observe {self.account.user_id}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _loop(self) -> None:
        params = {"filter": self._filter(), "timeout": str(SYNC_TIMEOUT_MS)}
        while True:
            assert self._since is not None
            params["since"] = self._since
            try:
                data = await self.api.call(
                    "GET",
                    "/_matrix/client/v3/sync",
                    self.account.token,
                    None,
                    params,
                    timeout=SYNC_TIMEOUT_MS / 1000 + 30,
                )
            except ApiError as exc:
                log.warning("observer sync failed: %s", exc)
                await asyncio.sleep(0.5)
                continue
            arrived = time.monotonic()
            self._record(data, arrived)
            self._since = data["next_batch"]
            self.syncs += 1
            self._changed.set()

    def _record(self, data: dict[str, Any], arrived: float) -> None:
        room = ((data.get("rooms") or {}).get("join") or {}).get(self.room_id)
        if not room:
            return
        timeline = room.get("timeline") or {}
        if timeline.get("limited"):
            self.gaps += 1
        for event in timeline.get("events") or []:
            event_id = event.get("event_id")
            if event_id in self._seen or event.get("type") != "m.room.message":
                continue
            self._seen.add(event_id)
            target = reply_target(event)
            if target is not None and event.get("sender") == self.subject:
                self.replies.setdefault(target, []).append(Arrival(arrived, event_id))

    async def wait_for_replies(self, event_ids: list[str], deadline: float) -> bool:
        """Until every event id has a reply or time.monotonic() passes `deadline`."""
        while True:
            if all(eid in self.replies for eid in event_ids):
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    async def settle(self, quiet: float, limit: float) -> None:
        """Wait until no new sync response came for `quiet` seconds (bounded by `limit`)."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), quiet)
            except TimeoutError:
                return
