"""Delivers queued replies, one sender task, in order, exactly once.

Replies are queued in the database by the command's transaction; once it
has committed, they are handed to this task as written (`hand_over`), so
the usual command costs no read-back. The task sends them with their
deterministic transaction ids. A sent one's mark (its remote id) is
written by the next transaction of any kind, first thing
(`Storage.sent_marks`): what that transaction reads knows every send (the
post a minutes edit replaces), and a command's commit carries the previous
reply's mark instead of a commit of its own (at a few commands a second,
a mark's own commit was a fifth of the disk a command cost). When no
transaction comes, this task writes them after `MARK_EVERY_SECONDS`, and at
once when it stops. It
reads the queue from the database when it may have missed something: at
start, after a failed or waiting send, on a wake without a hand-over, and
on its idle poll. A message sent but not yet marked when the bot dies is
sent again after the restart under its same transaction id: Matrix
deduplicates it; Teams has no such id, so there a crash within that window
(at most `MARK_EVERY_SECONDS`) can repeat it.

A sender that fails for one message (a `SendError`, or any other exception:
a bug, a reset connection) costs that message one attempt and holds back its
room only; the next flush comes soon after, backing off. A database error
is not a message's fault: it ends `run()` and the supervisor restarts it
(`bot.runtime.supervisor`); a message sent but not yet marked sent is sent
again under its same transaction id, which the network deduplicates.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections import deque
from collections.abc import Callable
from datetime import datetime

from bot.chat.transport import Outgoing, OutgoingFile, SendError, Transport
from bot.ops.metrics import MESSAGES
from bot.runtime.supervisor import Repeats, describe
from storage.db import Storage
from storage.repo_outbox import PendingMessage

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
PENDING_BATCH = 100
MARK_EVERY_SECONDS = 1.0  # a sent mark no transaction wrote meanwhile is written after this
IDLE_POLL_SECONDS = 30.0
RETRY_FIRST_SECONDS = 1.0  # after a flush where a message failed; doubles up to the idle poll
FAULT_SEND_ERRORS_ENV = "ALLIES_BOT_FAULT_SEND_ERRORS"
FAULT_EXIT_BEFORE_MARK_ENV = "ALLIES_BOT_FAULT_EXIT_BEFORE_MARK"


def injected_send_errors() -> int:
    """A test seam, off unless the variable is set: the first N sends raise
    ConnectionResetError (how the fault suite proves a failing sender loses
    no reply). Read once, when the sender is made."""
    return _count_from(FAULT_SEND_ERRORS_ENV)


def _count_from(variable: str) -> int:
    value = os.environ.get(variable, "").strip()
    return int(value) if value.isdigit() else 0


class OutboxSender:
    def __init__(self, storage: Storage, clock: Callable[[], datetime]) -> None:
        self.storage = storage
        self.clock = clock
        self.transport: Transport | None = None
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()  # one flush at a time: never two sends of one message
        self._failed = False  # a message failed in this flush: try again soon
        self._retry_in = RETRY_FIRST_SECONDS
        self._repeats = Repeats()  # one traceback per kind of sender failure, not per message
        self._faults = injected_send_errors()
        # a test seam: after this many sends the process dies before marking them
        self._exit_after_sends = _count_from(FAULT_EXIT_BEFORE_MARK_ENV)
        self._sends = 0
        self.companions: list[Callable[[], None]] = []  # other senders woken with this one
        self._handed: deque[PendingMessage] = deque()  # committed, as written, not yet sent
        self._read_queue = True  # the database may hold messages not handed over
        self._read_ids: set[int] = set()  # what the last queue read found (sent from there)
        self._unwritten_since = 0.0  # loop time the oldest unwritten mark was made

    def hand_over(self, messages: list[PendingMessage]) -> None:
        """Messages a transaction queued, given after it committed: sent
        from here, in order, without reading them back."""
        # a commit the queue read saw before its hand-over came: sent from the queue
        messages = [m for m in messages if m.id not in self._read_ids]
        if messages:
            self._handed.extend(messages)
            self._wake.set()
            for wake in self.companions:
                wake()

    def wake(self) -> None:
        """Something was committed to send: this sender and its companions
        (the mail outbox) look now, this one in the database."""
        self._read_queue = True
        self._wake.set()
        for wake in self.companions:
            wake()

    def attach(self, transport: Transport) -> None:
        self.transport = transport

    async def run(self, transport: Transport) -> None:
        """Send until cancelled; polls now and then in case a wake was missed,
        and soon after a flush where a message failed. A database error
        propagates (the supervisor restarts this)."""
        self.attach(transport)
        try:
            while True:
                self._wake.clear()
                self._failed = False
                await self.flush(mark=False)  # it begins by writing the marks when due
                wait, mark_in = self._next_wait(), self._mark_due_in()
                if not await _woken(self._wake, min(wait, mark_in)) and wait <= mark_in:
                    self._read_queue = True  # the idle poll reads the queue
        finally:
            if self.storage.sent_marks:  # stopping: mark what was sent (a crash resends it)
                with contextlib.suppress(Exception):
                    await asyncio.shield(self._mark())

    def _mark_due_in(self) -> float:
        """Seconds until the sent marks are due (infinite: nothing to mark)."""
        if not self.storage.sent_marks:
            return float("inf")
        since = asyncio.get_running_loop().time() - self._unwritten_since
        return max(MARK_EVERY_SECONDS - since, 0.0)

    async def _mark_when_due(self) -> None:
        if self._mark_due_in() <= 0:
            await self._mark()

    def _next_wait(self) -> float:
        """Seconds until the next flush unless woken: the idle poll, or a
        retry backing off (1, 2, 4 … s) while messages keep failing."""
        if not self._failed:
            self._retry_in = RETRY_FIRST_SECONDS
            return IDLE_POLL_SECONDS
        wait, self._retry_in = self._retry_in, min(self._retry_in * 2, IDLE_POLL_SECONDS)
        return wait

    async def oldest_pending_age(self) -> float | None:
        """Seconds the oldest unsent message has waited (None: none waits)."""
        async with self.storage.transaction() as repo:
            queued = await repo.oldest_pending_at()
        return None if queued is None else max((self.clock() - queued).total_seconds(), 0.0)

    async def flush(self, *, mark: bool = True) -> int:
        """Send everything pending, then mark it sent (with `mark`; the run
        loop marks when due instead); return how many were settled. A
        message that must wait holds back the later ones of its room only
        (order is kept per room), not every other room's."""
        assert self.transport is not None, "run() or attach() sets the transport"
        async with self._lock:
            await self._mark_when_due()  # also what a flush a database error ended left
            blocked: set[str] = set()
            sent = await self._send_handed(blocked)
            if self._read_queue:
                self._handed.clear()  # the queue holds them too, in order
                sent += await self._send_queued(blocked)
            self._read_queue = bool(blocked)  # what failed or waits is read again next time
            if mark:
                await self._mark()
        return sent

    async def _send_handed(self, blocked: set[str]) -> int:
        """The handed-over messages, in order; a failed or waiting one sends
        the rest of its room to the queue (read next), where it stays first."""
        sent = 0
        while self._handed and not self._read_queue:
            message = self._handed.popleft()
            if message.room_id in blocked:
                continue
            if await self._send_one(message):
                sent += 1
            else:
                blocked.add(message.room_id)
                self._read_queue = True
        return sent

    async def _send_queued(self, blocked: set[str]) -> int:
        sent, last_id = 0, 0
        self._read_ids = set()
        while batch := await self._pending(last_id):
            self._read_ids.update(m.id for m in batch)
            for message in batch:
                last_id = message.id
                if message.room_id in blocked or message.id in self.storage.sent_marks:
                    continue
                if not await self._send_one(message):
                    blocked.add(message.room_id)
                    continue
                sent += 1
            if len(batch) < PENDING_BATCH:
                break  # that was all; anything queued since is handed over or wakes us
        read = self._read_ids  # handed over while reading: the queue had them
        self._handed = deque(m for m in self._handed if m.id not in read)
        return sent

    async def _pending(self, after_id: int) -> list[PendingMessage]:
        async with self.storage.transaction() as repo:
            return await repo.pending_messages(limit=PENDING_BATCH, after_id=after_id)

    async def _mark(self) -> None:
        """Write the sent marks no transaction has written yet (a transaction
        writes them first thing: an empty one is all it takes)."""
        if self.storage.sent_marks:
            async with self.storage.transaction():
                pass

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
            self._inject_fault()
            remote_id = await self.transport.send(outgoing, message.txn_id)
        except SendError as exc:
            if exc.waiting and not exc.permanent:
                log.info("%s waits: %s", message.txn_id, exc)
                return False
            return await self._attempt_failed(message, str(exc), permanent=exc.permanent)
        except Exception as exc:  # the sender's bug or a surprise: this message's failure
            if self._repeats.is_new(exc):
                log.exception("sending %s raised", message.txn_id)
            return await self._attempt_failed(message, describe(exc), permanent=False)
        if not self.storage.sent_marks:
            self._unwritten_since = asyncio.get_running_loop().time()
        self.storage.sent_marks[message.id] = (remote_id, self.clock())
        MESSAGES.labels("sent").inc()
        log.info("sent %s as %s", message.txn_id, remote_id)
        self._sends += 1
        if self._exit_after_sends and self._sends >= self._exit_after_sends:
            log.error("exiting before marking %d sent (%s, a test seam)",
                      len(self.storage.sent_marks), FAULT_EXIT_BEFORE_MARK_ENV)  # fmt: skip
            os._exit(70)
        await self._mark_when_due()  # a long flush (a burst) marks as it goes
        return True

    async def _attempt_failed(
        self, message: PendingMessage, error: str, *, permanent: bool
    ) -> bool:
        """Count one failed attempt (the last allowed one gives up); True if
        the message is settled, so the next one of its room may go."""
        give_up = permanent or message.attempts + 1 >= MAX_ATTEMPTS
        MESSAGES.labels("given_up" if give_up else "retry").inc()
        log.warning(
            "sending %s failed (%s)%s",
            message.txn_id,
            error,
            "; giving up" if give_up else "; will retry",
        )
        async with self.storage.transaction() as repo:
            await repo.mark_attempt_failed(message.id, error, give_up=give_up)
        self._failed = self._failed or not give_up
        return give_up

    def _inject_fault(self) -> None:
        """The test seam of `injected_send_errors` (nothing unless it is set)."""
        if self._faults > 0:
            self._faults -= 1
            raise ConnectionResetError(f"injected by {FAULT_SEND_ERRORS_ENV} (a test seam)")


async def _woken(event: asyncio.Event, timeout: float) -> bool:
    """Wait for `event` up to `timeout` seconds: True if it was set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), timeout)
        return True
    return False
