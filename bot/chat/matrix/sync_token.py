"""Where the Matrix sync loop resumes: the `next_batch` token in the database.

A batch of only the bot's own events (its replies wake its long-poll too)
need not be stored at once: resuming from an older token fetches them again
and they are skipped, as is anything already handled (`processed_events`).
So the token is written after a batch that brought someone's events, and at
least every TOKEN_SAVE_EVERY_S otherwise.
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


class SyncTokens:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._saved_at = float("-inf")

    async def load(self) -> str | None:
        async with self.storage.transaction() as repo:
            return await repo.get_state(SYNC_TOKEN_KEY)

    async def save(self, token: str, delivered: int) -> None:
        """Store where to resume after a restart, unless the batch brought
        nobody's events and the token was stored less than a while ago."""
        now = time.monotonic()
        if not delivered and now - self._saved_at < TOKEN_SAVE_EVERY_S:
            return
        async with self.storage.transaction() as repo:
            await repo.set_state(SYNC_TOKEN_KEY, token)
        self._saved_at = now


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
                await self.drain()
                return False
            await self.tokens.save(token, batch.result())
            self.handled = token
        return True

    async def drain(self) -> None:
        """Wait for every batch in flight; store the tokens up to the first failure."""
        failed = False
        while self._in_flight:
            token, batch = self._in_flight.popleft()
            with contextlib.suppress(Exception):
                await batch
            failed = failed or batch.exception() is not None
            if not failed:
                await self.tokens.save(token, batch.result())
                self.handled = token
