"""Where the Matrix sync loop resumes: the `next_batch` token in the database.

Resuming from an older token is harmless: what it fetches again is
skipped, the bot's own events and everything already handled alike (a
command's effect and its `processed_events` row commit together). So the
token need not be written after every batch: after a batch that brought
someone's events it is written at most every TOKEN_SAVE_BUSY_S (a command a
second would otherwise cost a transaction, about 2 kB written, each), after
the bot's own events at least every TOKEN_SAVE_EVERY_S, and always when the
loop stops. A crash re-fetches at most those seconds of the room.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable

from storage.db import Storage

log = logging.getLogger(__name__)
MAX_BATCHES_AHEAD = 4  # sync batches being handled at once (a slow room's holds these up)

SYNC_TOKEN_KEY = "matrix.sync_token"
TOKEN_SAVE_EVERY_S = 60.0
TOKEN_SAVE_BUSY_S = 5.0


class SyncTokens:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._saved_at = float("-inf")
        self._stored: str | None = None

    async def load(self) -> str | None:
        async with self.storage.transaction() as repo:
            return await repo.get_state(SYNC_TOKEN_KEY)

    async def save(self, token: str, delivered: int, *, force: bool = False) -> None:
        """Store where to resume after a restart, unless it was stored a
        moment ago (see the module's docstring) and `force` is not asked."""
        now = time.monotonic()
        wait = TOKEN_SAVE_BUSY_S if delivered else TOKEN_SAVE_EVERY_S
        if token == self._stored or (not force and now - self._saved_at < wait):
            return
        async with self.storage.transaction() as repo:
            await repo.set_state(SYNC_TOKEN_KEY, token)
        self._saved_at, self._stored = now, token


class Batches:
    """Sync batches being handled, oldest first. A batch's token is stored
    once it and every batch before it were handled, so a restart resumes
    where nothing unhandled lies behind."""

    def __init__(self, tokens: SyncTokens, handled: str | None) -> None:
        self.tokens = tokens
        self.handled = handled  # where to fetch again from after a failure
        self._in_flight: deque[tuple[str, asyncio.Future]] = deque()

    def add(self, token: str, handled: Awaitable[int]) -> None:
        """`handled` resolves to how many of the batch's events were someone else's."""
        self._in_flight.append((token, asyncio.ensure_future(handled)))

    async def settle(self, *, wait: bool = False) -> bool:
        """Store the tokens of the batches handled, oldest first; False when
        one failed (then every batch in flight has been waited for, and
        `handled` is where to fetch again from). Waits for the oldest when
        asked, or when too many are in flight."""
        if self._in_flight and (wait or len(self._in_flight) >= MAX_BATCHES_AHEAD):
            await asyncio.wait([self._in_flight[0][1]])
        while self._in_flight and self._in_flight[0][1].done():
            token, batch = self._in_flight.popleft()
            if batch.exception() is not None:
                log.error("a sync batch failed", exc_info=batch.exception())
                await self.drain(failed=True)  # the later ones come again too
                return False
            await self.tokens.save(token, batch.result())
            self.handled = token
        return True

    async def drain(self, *, failed: bool = False) -> None:
        """Wait for every batch in flight, then store where the loop got to,
        in one write (this is a stop, or a failure to recover from). After a
        failure (`failed`, or one found here) `handled` stays before it and
        nothing later is stored: the failed batch is fetched again, with all
        that came after it."""
        while self._in_flight:
            token, batch = self._in_flight.popleft()
            with contextlib.suppress(Exception):
                await batch
            failed = failed or batch.exception() is not None
            if not failed:
                self.handled = token
        if self.handled is not None:  # one write, whatever the 5 s rule put off
            await self.tokens.save(self.handled, 0, force=True)
