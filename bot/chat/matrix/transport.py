"""The Matrix adapter (matrix-nio): sync loop in, replies out.

Resumes from the stored sync token so commands sent while the bot was down
are answered once; on its very first start it answers only what was sent
after its own join in each room (it joins before its first sync, so a
command typed the moment it appears is in that sync). Network errors and
429s are retried by nio with backoff (capped so the bot is back within
seconds of the homeserver); 5xx answers to sync and send are retried here.
Encrypted rooms work like the others: nio decrypts what arrives (the crypto
store lives in `data_dir`; `nio_patch` for events without the deprecated
fields), what it cannot decrypt gets one notice per session
(`bot.chat.matrix.crypto`), and sending encrypts (`bot.chat.matrix.send`).
Which events of a batch are handed over is decided in `delivery`; where the
loop resumes is kept by `sync_token`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from functools import partial
from typing import Any

from nio import (
    AsyncClientConfig,
    MegolmEvent,
    SyncResponse,
)

from bot.chat.matrix import nio_patch, nio_speed
from bot.chat.matrix.backfill import backfill
from bot.chat.matrix.crypto import BotClient, Crypto, store_path
from bot.chat.matrix.delivery import (
    Kind,
    RoomLanes,
    deliver_late,
    kind,
    senders,
    served,
    settled,
    window,
)
from bot.chat.matrix.direct import DirectRooms
from bot.chat.matrix.events import to_incoming, undecryptable_incoming
from bot.chat.matrix.health import connection_problem
from bot.chat.matrix.joining import join, resolve
from bot.chat.matrix.login import log_in
from bot.chat.matrix.profiles import NameReporter
from bot.chat.matrix.send import MatrixSender, backoff, sleep_unless
from bot.chat.matrix.sync_token import Batches, SyncTokens
from bot.chat.matrix.syncing import SYNC_TIMEOUT_MS, sync_unless_stopped, wait_after
from bot.chat.transport import EventHandler, Outgoing, private_user
from bot.config import Config, GroupConfig
from bot.config.directory import Directory, GroupDirectory
from bot.config.problems import MATRIX
from storage.db import Storage

log = logging.getLogger(__name__)
nio_patch.apply()
nio_speed.apply()


class MatrixTransport:
    name = MATRIX
    on_reachable = None  # a Matrix room is reachable once joined; nothing waits for it

    def __init__(
        self, config: Config, storage: Storage, directory: Directory | None = None
    ) -> None:
        assert config.matrix is not None
        self.config = config
        self.directory = directory or Directory(GroupDirectory.of(config.groups, {}))
        self.storage = storage
        self.user_id = config.matrix.user_id
        client_config = AsyncClientConfig(
            max_timeout_retry_wait_time=10,
            backoff_factor=0.5,
            request_timeout=SYNC_TIMEOUT_MS / 1000 + 30,
            encryption_enabled=True,
            store_sync_tokens=False,  # the sync token lives in the database
        )
        self.client = BotClient(
            config.matrix.homeserver,
            config.matrix.user_id,
            store_path=str(store_path(config.storage.data_dir)),
            config=client_config,
        )
        self.crypto = Crypto(
            self.client, config.matrix.trust, config.storage.data_dir, config.matrix.password
        )
        self._stopping = asyncio.Event()
        self._ready = asyncio.Event()  # the first sync is handled, its key work done
        self._rooms_known = asyncio.Event()  # nio has read a sync: rooms and encryption known
        self._listening = False
        self.names = NameReporter(self.client, lambda: self.rooms)
        self._started_ms = int(time.time() * 1000)
        self._tokens = SyncTokens(storage)
        self._lanes = RoomLanes()
        self.last_synced: float | None = None  # monotonic time of the last completed sync
        direct = DirectRooms(self.client, storage, self.crypto)
        self.sender = MatrixSender(
            self.client, self.crypto, self._ready, self._sleep, direct, self._rooms_known
        )

    async def connect(self) -> dict[str, GroupConfig]:
        """Log in, upload encryption keys, resolve configured rooms to ids and
        join them (keys first, so members can encrypt for the bot at once)."""
        await log_in(self.client, self.config.matrix, self.config.storage.data_dir)
        await self._maintain_crypto()
        resolved: dict[str, GroupConfig] = {}
        for group in self.config.groups_on(MATRIX):
            room_id = await resolve(self.client, group.room)
            if room_id:
                resolved[room_id] = group
                await join(self.client, room_id, group)
        return resolved

    @property
    def rooms(self) -> Mapping[str, GroupConfig]:
        """The Matrix rooms served and their groups (the directory's)."""
        return self.directory.current.rooms(MATRIX)

    def owns(self, room_id: str) -> bool:
        """Matrix room ids start with `!`; a private room is by Matrix id."""
        person = private_user(room_id)
        return person.startswith("@") if person is not None else room_id.startswith("!")

    def permalink(self, room_id: str, message_id: str) -> str | None:
        return f"https://matrix.to/#/{room_id}/{message_id}"

    async def start(self, on_event: EventHandler) -> None:
        """Sync until stop(). Each batch's events go to their rooms' lanes
        (`RoomLanes`: in order per room, rooms side by side) and the next
        sync starts at once, so one room's slow command holds up no other
        room; a batch's token is stored once it and every batch before it
        were handled, and after a failure everything from the last handled
        token is fetched again (what was handled is skipped by the core).

        The first sync of every run asks for the full room state: nio keeps
        rooms (and whether they are encrypted) in memory only, and the bot must
        know both before it sends anything."""
        token = await self._tokens.load()
        first_start = token is None
        failures = 0
        batches = Batches(self._tokens, token)
        if first_start:
            log.info("first start: only messages sent after the bot joined will be answered")
        while not self._stopping.is_set():
            response = await sync_unless_stopped(
                self.client, self._stopping, token, full_state=not self._ready.is_set()
            )
            if response is None:
                break
            if not isinstance(response, SyncResponse):
                await self._sleep(wait_after(response))
                continue
            try:
                await self._handle_invites(response)
                self._rooms_known.set()  # and joined where invited
                lanes = await self._submit_rooms(response, on_event, token, first_start=first_start)
                batches.add(response.next_batch, self._batch_done(lanes, on_event))
                handled = await batches.settle(wait=not self._ready.is_set())
            except Exception:
                log.exception("reading a sync batch failed")
                await batches.drain()
                handled = False
            if not handled:
                failures += 1
                log.error("handling a sync batch failed; retrying in %.0fs", backoff(failures))
                await self._sleep(backoff(failures))
                self._lanes.reset()
                token = batches.handled  # the batches from there come again
                continue
            failures = 0
            token = response.next_batch
            self.last_synced = time.monotonic()
            await self._maintain_crypto()
            self._ready.set()
            if first_start or not self._listening:
                log.info("sync loop running; rooms listened in: %d", len(self.rooms))
                self._listening = True
            first_start = False
        await batches.drain()  # stopping: finish what was handed over

    async def _maintain_crypto(self) -> None:
        """Keys and trust between syncs; a failure here must not stop the loop."""
        try:
            await self.crypto.maintain(self.rooms)
        except Exception:
            log.exception("encryption key maintenance failed; trying again after the next sync")

    async def _handle_invites(self, response: SyncResponse) -> None:
        for room_id in response.rooms.invite:
            group = self.rooms.get(room_id)
            if group is None:
                log.info("ignoring invite to unconfigured room %s", room_id)
                continue
            await join(self.client, room_id, group)

    async def _submit_rooms(
        self,
        response: SyncResponse,
        on_event: EventHandler,
        since: str | None,
        *,
        first_start: bool,
    ) -> list[asyncio.Task]:
        """Timeline events (already decrypted by nio where it could), then
        earlier undecryptable ones whose keys came with this batch, into
        their rooms' lanes (which ones: `bot.chat.matrix.delivery`)."""
        ours = served(response.rooms.join, self.rooms)
        if self.crypto.needs_judging(
            senders(e.source for _, info in ours for e in info.timeline.events)
        ):
            await self._maintain_crypto()  # senders' devices are judged before their messages
        lanes = [
            self._lanes.submit(
                room, partial(self._room_lane, room, info, on_event, since, first_start)
            )
            for room, info in ours
        ]
        for room_id, event in self.crypto.retry(response.to_device_events):
            if deliver_late(room_id, self.rooms, first_start=first_start):
                lanes.append(
                    self._lanes.submit(room_id, partial(self._deliver, room_id, event, on_event))
                )
        return lanes

    async def _batch_done(self, lanes: list[asyncio.Task], on_event: EventHandler) -> int:
        delivered = await settled(lanes)
        await self.names.report(on_event)
        return delivered

    async def _room_lane(
        self, room_id: str, info: Any, on_event: EventHandler, since: str | None, first: bool
    ) -> int:
        """One room's events of the batch, in order (rooms run side by side)."""
        events = list(info.timeline.events)
        part = window(
            [e.source for e in events],
            self.user_id,
            self._started_ms,
            first_start=first,
            limited=info.timeline.limited,
            since=since,
        )
        if part is None:
            return 0
        events = events[part.start :]
        if part.backfill and since:
            events = await backfill(self.client, room_id, info.timeline.prev_batch, since) + events
        return sum([await self._deliver(room_id, event, on_event) for event in events])

    async def _deliver(self, room_id: str, event: Any, on_event: EventHandler) -> int:
        """Hand one event to the core; 1 if it was someone else's event."""
        source = event.source
        undecrypted = isinstance(event, MegolmEvent)
        handling = kind(source, self.user_id, undecrypted=undecrypted)
        if handling is Kind.OWN:
            return 0
        if handling is Kind.UNDECRYPTABLE:
            if undecrypted:
                await self.crypto.undecryptable(room_id, event)
            else:
                log.warning("unreadable encrypted event %s in %s", source.get("event_id"), room_id)
            device = self.client.device_id or "?"
            notice = undecryptable_incoming(source, room_id, self.user_id, device)
            if notice is not None:
                await on_event(notice)
            return 1
        if self.crypto.refuses(event):
            return 1
        incoming = to_incoming(source, room_id, self.user_id)
        if incoming is not None:
            await on_event(incoming)
        return 1

    async def send(self, message: Outgoing, txn_id: str) -> str:
        return await self.sender.send(message, txn_id)

    async def _sleep(self, seconds: float) -> None:
        await sleep_unless(self._stopping, seconds)

    def sync_lag(self) -> float | None:
        """Seconds since the last completed sync (None before the first)."""
        return None if self.last_synced is None else time.monotonic() - self.last_synced

    async def health(self) -> str | None:
        """None when connected, else why not (`bot.chat.matrix.health`)."""
        return await connection_problem(self.config.matrix.homeserver, self.sync_lag())

    async def stop(self) -> None:
        self._stopping.set()

    async def close(self) -> None:
        await self.client.close()
