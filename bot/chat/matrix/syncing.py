"""One long-poll sync of the bot's, and how long to wait after a failed one."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from nio import AsyncClient

from bot.chat.matrix.send import status_of
from bot.chat.stopping import unless_stopped

log = logging.getLogger(__name__)
SYNC_TIMEOUT_MS = 30_000
# What a sync brings: timelines and the state of rooms (members lazily),
# nothing the bot has no use for. Members' clients send read receipts and
# typing notices for nearly every message they see; with them filtered out
# the homeserver does not wake the bot's long-poll for them at all.
SYNC_FILTER = {
    "room": {
        "timeline": {"limit": 100},
        "state": {"lazy_load_members": True},
        "ephemeral": {"types": []},
        "account_data": {"types": []},
    },
    "presence": {"types": []},
    "account_data": {"types": []},
}


async def sync_unless_stopped(
    client: AsyncClient, stopping: asyncio.Event, token: str | None, *, full_state: bool
) -> Any:
    """One long-poll sync, abandoned at once (None) when `stopping` is set."""
    sync = client.sync(
        timeout=SYNC_TIMEOUT_MS, since=token, sync_filter=SYNC_FILTER, full_state=full_state
    )
    _, response = await unless_stopped(sync, stopping)
    return response


def wait_after(response: Any) -> float:
    """Seconds to wait after a failed sync (the server's Retry-After, else 2 s)."""
    wait = (getattr(response, "retry_after_ms", None) or 2000) / 1000
    log.warning(
        "sync failed (%s, HTTP %s); retrying in %.1fs",
        getattr(response, "status_code", "?"),
        status_of(response),
        wait,
    )
    return wait
