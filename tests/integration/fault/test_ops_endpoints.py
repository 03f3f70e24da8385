"""Fault suite (c): `/healthz` and `/metrics` of the real bot process while
the homeserver goes away and comes back."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from tests.loopback import free_port

from .helpers import READY, make_world

pytestmark = pytest.mark.fault


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as answer:
        return answer.status, await answer.text()


async def wait_for_status(url: str, status: int, timeout: float) -> str:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        got, text = await get(url)
        if got == status:
            return text
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"{url} still {got} after {timeout}s: {text}")
        await asyncio.sleep(0.5)


async def test_healthz_follows_the_homeserver_and_metrics_count(synapse, make_member, tmp_path):
    port = free_port()
    world = await make_world(
        synapse, make_member, tmp_path, count=2, extra_toml=f'[ops]\nlisten = "127.0.0.1:{port}"\n'
    )
    base = f"http://127.0.0.1:{port}"
    await world.bot.start()
    await world.bot.wait_for_log(READY)
    assert await wait_for_status(f"{base}/healthz", 200, 10) == "ok\n"
    member = world.members[1]
    await member.wait_for_reply(world.room, await member.send_text(world.room, "!update one"))
    await member.wait_for_reply(world.room, await member.send_text(world.room, "!nosuch"))
    _, metrics = await get(f"{base}/metrics")
    assert 'allies_commands_total{command="update",outcome="ok"} 1.0' in metrics
    assert 'allies_commands_total{command="unknown",outcome="unknown"} 1.0' in metrics
    assert 'allies_messages_total{outcome="sent"}' in metrics
    assert (
        "allies_outbox_depth 0.0" in metrics
        and 'allies_sync_lag_seconds{network="matrix"}' in metrics
    )

    await synapse.stop()
    reason = await wait_for_status(f"{base}/healthz", 503, 15)
    assert reason.startswith("matrix: the homeserver does not answer")
    await synapse.start(synapse.workdir)
    assert await wait_for_status(f"{base}/healthz", 200, 60) == "ok\n"
    assert world.bot.process.returncode is None
    await world.bot.stop()
