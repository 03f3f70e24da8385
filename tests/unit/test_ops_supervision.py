"""`/healthz` and `/metrics` with the supervisor and the outbox: a task that
keeps failing turns `/healthz` 503 naming it, the oldest pending message's
age is shown (and is a gauge), and an unreadable outbox hides only that line."""

from __future__ import annotations

import asyncio

import aiohttp

from bot.ops.metrics import REGISTRY
from bot.ops.server import HealthCheck, OpsServer
from bot.runtime.supervisor import Backoff, Supervisor


async def fetch(server: OpsServer, path: str) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{server.port}{path}") as answer,
    ):
        return answer.status, await answer.text()


async def serving(checks, outbox_age=None) -> OpsServer:
    server = OpsServer("127.0.0.1", 0, checks, outbox_age=outbox_age)
    await server.start()
    return server


async def test_a_task_that_keeps_failing_turns_healthz_503_naming_it():
    async def outbox() -> None:
        raise ConnectionRefusedError("database restarting")

    tasks = Supervisor(Backoff(first=0.001, cap=0.001))
    server = await serving([HealthCheck("tasks", tasks.problem)])
    try:
        assert await fetch(server, "/healthz") == (200, "ok\n")
        tasks.start("outbox", outbox)
        while tasks.health["outbox"].failures < 3:
            await asyncio.sleep(0.001)
        status, text = await fetch(server, "/healthz")
        assert status == 503
        assert text.startswith("tasks: outbox keeps failing (")
        assert "ConnectionRefusedError: database restarting" in text
    finally:
        await tasks.stop()
        await server.stop()


async def test_healthz_shows_the_oldest_pending_message_and_metrics_its_gauge():
    ages = iter([None, 12.4, 7.0])

    async def age() -> float | None:
        return next(ages)

    server = await serving([], outbox_age=age)
    try:
        assert await fetch(server, "/healthz") == (200, "ok\n")  # nothing pending
        assert await fetch(server, "/healthz") == (
            200,
            "ok\noutbox: oldest pending message queued 12 s ago\n",
        )
        status, text = await fetch(server, "/metrics")
        assert status == 200 and "allies_outbox_oldest_pending_seconds 7.0" in text
        assert REGISTRY.get_sample_value("allies_outbox_oldest_pending_seconds") == 7.0
    finally:
        await server.stop()


async def test_an_unreadable_outbox_hides_only_its_line():
    async def down() -> str | None:
        return "database does not answer"

    async def age() -> float | None:
        raise ConnectionRefusedError("no database")

    server = await serving([HealthCheck("storage", down)], outbox_age=age)
    try:
        assert await fetch(server, "/healthz") == (503, "storage: database does not answer\n")
    finally:
        await server.stop()
