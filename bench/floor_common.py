"""What both floors share (`floor_bot` on matrix-nio, `bare_floor` without
it): the bot's sync settings, the reply they send, the retry backoff, and the
process entry. No nio and no bot imports here: the bare floor must not pay
for either."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

# Same values as bot/chat/matrix/transport.py (copied, not imported: importing the
# bot would load its storage and handlers, which the floors must not pay for).
SYNC_TIMEOUT_MS = 30_000
SYNC_FILTER = {
    "room": {"timeline": {"limit": 100}, "state": {"lazy_load_members": True}},
    "presence": {"types": []},
}
MAX_BACKFILL_PAGES = 50
SEND_ATTEMPTS = 6


def reply_content(event_id: str) -> dict[str, Any]:
    """A threaded `m.notice`, as the bot's replies are, mentioning nobody."""
    return {
        "msgtype": "m.notice",
        "body": "ok",
        "m.mentions": {},
        "m.relates_to": {"m.in_reply_to": {"event_id": event_id}},
    }


def backoff(attempt: int) -> float:
    return min(0.5 * 2**attempt, 15.0)


class FloorProcess(Protocol):
    stopping: asyncio.Event

    async def run(self, password: str) -> None: ...


async def _serve(prog: str, make: Callable[[str, str, str], FloorProcess]) -> None:
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--homeserver", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--room", required=True)
    args = parser.parse_args()
    floor = make(args.homeserver, args.user, args.room)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, floor.stopping.set)
    task = asyncio.create_task(floor.run(os.environ["BENCH_FLOOR_PASSWORD"]))
    stop = asyncio.create_task(floor.stopping.wait())
    await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
    task.cancel()
    legs, path = getattr(floor, "legs", None), os.environ.get("BENCH_LEGS_PATH")
    if legs is not None and path:  # command seen -> reply sent, for the benchmark
        Path(path).write_text(json.dumps(legs))


def main(prog: str, make: Callable[[str, str, str], FloorProcess]) -> None:
    """`python -m bench.<floor> --homeserver URL --user ID --room ID`."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("nio").setLevel(logging.WARNING)  # as the bot does: no line per event
    asyncio.run(_serve(prog, make))
