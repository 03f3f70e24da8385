"""Is the bot connected to Matrix? For `/healthz`.

nio retries a refused `/sync` by itself for as long as it takes, so a sync
that stopped returning is noticed only slowly; a quick probe of the
homeserver (`/_matrix/client/versions`, 3 s) says at once when it is gone.
"""

from __future__ import annotations

import aiohttp

STALE_SYNC_S = 90.0  # a long-poll returns within 30 s when all is well
PROBE_TIMEOUT_S = 3.0


async def connection_problem(homeserver: str, sync_lag: float | None) -> str | None:
    """None when the homeserver answers and a sync completed lately, else why not."""
    try:
        timeout = aiohttp.ClientTimeout(total=PROBE_TIMEOUT_S)
        async with (
            aiohttp.ClientSession(timeout=timeout) as http,
            http.get(f"{homeserver}/_matrix/client/versions") as answer,
        ):
            if answer.status != 200:
                return f"the homeserver answers HTTP {answer.status}"
    except (aiohttp.ClientError, TimeoutError) as exc:
        return f"the homeserver does not answer ({type(exc).__name__})"
    if sync_lag is None:
        return "not synced yet"
    if sync_lag > STALE_SYNC_S:
        return f"no sync completed for {sync_lag:.0f} s"
    return None
