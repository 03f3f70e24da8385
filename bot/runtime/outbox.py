"""Delivers queued replies, one sender task, in order, exactly once.

Replies are queued in the database by the command's transaction; this task
sends them with their deterministic transaction ids and marks them sent.
A message still unsent when the bot stops is sent after the restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime

from bot.chat.transport import Outgoing, OutgoingFile, SendError, Transport
from bot.ops.metrics import MESSAGES
from storage.db import Storage
from storage.repo import PendingMessage

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
PENDING_BATCH = 100
IDLE_POLL_SECONDS = 30.0


class OutboxSender:
    def __init__(self, storage: Storage, clock: Callable[[], datetime]) -> None:
        self.storage = storage
        self.clock = clock
        self.transport: Transport | None = None
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()  # one flush at a time: never two sends of one message

    def wake(self) -> None:
        self._wake.set()

    def attach(self, transport: Transport) -> None:
        self.transport = transport

    async def run(self, transport: Transport) -> None:
        """Send until cancelled; polls now and then in case a wake was missed."""
        self.attach(transport)
        while True:
            self._wake.clear()
            await self.flush()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), IDLE_POLL_SECONDS)

    async def flush(self) -> int:
        """Send everything pending; return how many were settled. A message
        that must wait holds back the later ones of its room only (order is
        kept per room), not every other room's."""
        assert self.transport is not None, "run() or attach() sets the transport"
        sent, last_id = 0, 0
        blocked: set[str] = set()
        async with self._lock:
            while batch := await self._pending(last_id):
                for message in batch:
                    last_id = message.id
                    if message.room_id in blocked:
                        continue
                    if not await self._send_one(message):
                        blocked.add(message.room_id)
                        continue
                    sent += 1
                if len(batch) < PENDING_BATCH:
                    break  # that was all; anything queued since calls wake() again
        return sent

    async def _pending(self, after_id: int) -> list[PendingMessage]:
        async with self.storage.transaction() as repo:
            return await repo.pending_messages(limit=PENDING_BATCH, after_id=after_id)

    async def _send_one(self, message: PendingMessage) -> bool:
        file = None
        if message.file_name and message.file_data is not None:
            file = OutgoingFile(message.file_name, message.file_type or "", message.file_data)
        outgoing = Outgoing(
            room_id=message.room_id,
            body=message.body,
            html=message.html,
            reply_to=message.reply_to,
            mentions=message.mentions,
            file=file,
            reaction=message.reaction,
            replaces=message.replaces,
        )
        try:
            remote_id = await self.transport.send(outgoing, message.txn_id)
        except SendError as exc:
            if exc.waiting and not exc.permanent:
                log.info("%s waits: %s", message.txn_id, exc)
                return False
            give_up = exc.permanent or message.attempts + 1 >= MAX_ATTEMPTS
            MESSAGES.labels("given_up" if give_up else "retry").inc()
            log.warning(
                "sending %s failed (%s)%s",
                message.txn_id,
                exc,
                "; giving up" if give_up else "; will retry",
            )
            async with self.storage.transaction() as repo:
                await repo.mark_attempt_failed(message.id, str(exc), give_up=give_up)
            return give_up  # go on with the next message only if this one is settled
        async with self.storage.transaction() as repo:
            await repo.mark_sent(message.id, remote_id, self.clock())
        MESSAGES.labels("sent").inc()
        log.info("sent %s as %s", message.txn_id, remote_id)
        return True
