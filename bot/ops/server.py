"""`/healthz` and `/metrics` on the address `[ops] listen` names.

`/healthz` answers 200 `ok` when every check passes (storage answers, every
network is connected), else 503 with one line per failing check, so a
load balancer or systemd's watchdog script can act on it and a person can
read why. A task that keeps failing (`bot.runtime.supervisor`) is one of
the checks. Either way the body ends with the age of the oldest message
still waiting to be sent, when one is: a reply stuck in the outbox is seen
even while every check passes. `/metrics` is the Prometheus text format of
`bot.ops.metrics`, with the gauges refreshed just before (outbox depth and
oldest pending age, sync lag).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.ops.health import HealthCheck
from bot.ops.metrics import OUTBOX_OLDEST, REGISTRY

log = logging.getLogger(__name__)
CHECK_TIMEOUT_S = 5.0

# Seconds the oldest unsent message has waited, None when the outbox is empty.
OutboxAge = Callable[[], Awaitable[float | None]]

__all__ = ["HealthCheck", "OpsServer"]


class OpsServer:
    def __init__(
        self,
        host: str,
        port: int,
        checks: Sequence[HealthCheck],
        refresh: Callable[[], Awaitable[None]] | None = None,
        outbox_age: OutboxAge | None = None,
    ) -> None:
        self.host, self.port = host, port
        self.checks = list(checks)
        self.refresh = refresh
        self.outbox_age = outbox_age
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]  # the port bound (0 in tests: a free one)
        log.info("ops endpoints on http://%s:%d (/healthz, /metrics)", self.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def problems(self) -> list[str]:
        found = []
        for health in self.checks:
            try:
                reason = await asyncio.wait_for(health.check(), CHECK_TIMEOUT_S)
            except TimeoutError:
                reason = f"no answer within {CHECK_TIMEOUT_S:g} s"
            except Exception as exc:  # a check must not take the endpoint down
                reason = f"check failed ({type(exc).__name__})"
            if reason is not None:
                found.append(f"{health.name}: {reason}")
        return found

    async def oldest_pending(self) -> float | None:
        """The outbox's oldest wait, also set on its gauge (0 when empty);
        None when unknown too: the storage check already says why."""
        if self.outbox_age is None:
            return None
        try:
            age = await asyncio.wait_for(self.outbox_age(), CHECK_TIMEOUT_S)
        except Exception:
            log.debug("reading the outbox's oldest message failed", exc_info=True)
            return None
        OUTBOX_OLDEST.set(age or 0.0)
        return age

    async def _healthz(self, _request: web.Request) -> web.Response:
        problems, age = await asyncio.gather(self.problems(), self.oldest_pending())
        lines = problems or ["ok"]
        if age is not None:
            lines.append(f"outbox: oldest pending message queued {age:.0f} s ago")
        return web.Response(status=503 if problems else 200, text="\n".join(lines) + "\n")

    async def _metrics(self, _request: web.Request) -> web.Response:
        if self.refresh is not None:
            try:
                await asyncio.wait_for(self.refresh(), CHECK_TIMEOUT_S)
            except Exception:
                log.warning("refreshing the metrics' gauges failed", exc_info=True)
        await self.oldest_pending()
        body = generate_latest(REGISTRY)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
