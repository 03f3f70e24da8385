"""Where the Matrix sync loop resumes: the `next_batch` token in the database.

A batch of only the bot's own events (its replies wake its long-poll too)
need not be stored at once: resuming from an older token fetches them again
and they are skipped, as is anything already handled (`processed_events`).
So the token is written after a batch that brought someone's events, and at
least every TOKEN_SAVE_EVERY_S otherwise.
"""

from __future__ import annotations

import time

from storage.db import Storage

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
