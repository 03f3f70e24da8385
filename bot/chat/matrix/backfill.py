"""The gap a limited sync leaves: the events between the stored token and
the batch, fetched page by page so a long outage loses no command."""

from __future__ import annotations

import logging
from typing import Any

from nio import AsyncClient, RoomMessagesResponse

log = logging.getLogger(__name__)
MAX_BACKFILL_PAGES = 50


async def backfill(
    client: AsyncClient, room_id: str, prev_batch: str | None, since: str
) -> list[Any]:
    """What came in `room_id` after `since` and before `prev_batch`, oldest
    first (nio decrypts these too)."""
    older: list[Any] = []
    start = prev_batch
    for _ in range(MAX_BACKFILL_PAGES):
        response = await client.room_messages(room_id, start=start, end=since, limit=100)
        if not isinstance(response, RoomMessagesResponse) or not response.chunk:
            break
        older.extend(response.chunk)
        if not response.end or response.end == start:
            break
        start = response.end
    log.info("backfilled %d events in %s after a gap", len(older), room_id)
    return list(reversed(older))
