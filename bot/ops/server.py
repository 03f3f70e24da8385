"""`/healthz` and `/metrics` on the address `[ops] listen` names.

`/healthz` answers 200 `ok` when every check passes (storage answers, every
network is connected), else 503 with one line per failing check, so a
load balancer or systemd's watchdog script can act on it and a person can
read why. `/metrics` is the Prometheus text format of `bot.ops.metrics`,
with the gauges refreshed just before (outbox depth, sync lag).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.ops.metrics import REGISTRY

log = logging.getLogger(__name__)
CHECK_TIMEOUT_S = 5.0

# A check returns None when healthy, else the reason (one short line).
Check = Callable[[], Awaitable[str | None]]


@dataclass(frozen=True)
class HealthCheck:
    name: str
    check: Check


class OpsServer:
    def __init__(
        self,
        host: str,
        port: int,
        checks: Sequence[HealthCheck],
        refresh: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.host, self.port = host, port
        self.checks = list(checks)
        self.refresh = refresh
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

    async def _healthz(self, _request: web.Request) -> web.Response:
        problems = await self.problems()
        if problems:
            return web.Response(status=503, text="\n".join(problems) + "\n")
        return web.Response(text="ok\n")

    async def _metrics(self, _request: web.Request) -> web.Response:
        if self.refresh is not None:
            try:
                await asyncio.wait_for(self.refresh(), CHECK_TIMEOUT_S)
            except Exception:
                log.warning("refreshing the metrics' gauges failed", exc_info=True)
        body = generate_latest(REGISTRY)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
