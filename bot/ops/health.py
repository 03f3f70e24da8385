"""A health check of `/healthz`, apart from the server that answers it: the
parts that contribute checks (the mail reach, the networks) need this
small type, and a bot without `[ops] listen` never imports the server
(aiohttp's web half, about 16 ms of every start)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

# A check returns None when healthy, else the reason (one short line).
Check = Callable[[], Awaitable[str | None]]


@dataclass(frozen=True)
class HealthCheck:
    name: str
    check: Check
