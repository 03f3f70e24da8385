"""The ops endpoints in-process: `/healthz` 200 or 503 with the reasons,
`/metrics` counting commands by outcome through the real core, the Matrix
connection check against a closed port and a live one, and `[ops]` keys."""

from __future__ import annotations

import socket

import aiohttp
import pytest
from aiohttp import web

from bot.chat.matrix.health import connection_problem
from bot.ops.metrics import REGISTRY
from bot.ops.server import HealthCheck, OpsServer
from tests.loopback import serving
from tests.unit.fakes import make_harness


async def fetch(server: OpsServer, path: str) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{server.port}{path}") as answer,
    ):
        return answer.status, await answer.text()


async def ok() -> str | None:
    return None


async def down() -> str | None:
    return "the homeserver does not answer"


async def broken() -> str | None:
    raise RuntimeError("boom")


@pytest.fixture
async def serve():
    servers = []

    async def start(*checks: HealthCheck) -> OpsServer:
        server = OpsServer("127.0.0.1", 0, checks)
        await server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.stop()


async def test_healthz_is_ok_only_when_every_check_is(serve):
    healthy = await serve(HealthCheck("storage", ok), HealthCheck("matrix", ok))
    assert await fetch(healthy, "/healthz") == (200, "ok\n")
    sick = await serve(HealthCheck("storage", ok), HealthCheck("matrix", down))
    assert await fetch(sick, "/healthz") == (503, "matrix: the homeserver does not answer\n")
    failing = await serve(HealthCheck("storage", broken))
    assert await fetch(failing, "/healthz") == (503, "storage: check failed (RuntimeError)\n")


def count(command: str, outcome: str) -> float:
    labels = {"command": command, "outcome": outcome}
    return REGISTRY.get_sample_value("allies_commands_total", labels) or 0.0


async def test_metrics_count_commands_by_outcome(serve, tmp_path):
    h = await make_harness(tmp_path)
    before = {
        k: count(*k)
        for k in [
            ("update", "ok"),
            ("update", "usage"),
            ("unknown", "unknown"),
            ("skip", "refused"),
        ]
    }
    await h.say("@anna:example.org", "!update fine")
    await h.say("@anna:example.org", "!update")
    await h.say("@anna:example.org", "!nosuchthing")
    await h.say("@anna:example.org", "!skip 1 May 2026")
    await h.core.storage.close()
    assert {k: count(*k) - v for k, v in before.items()} == {
        ("update", "ok"): 1,
        ("update", "usage"): 1,
        ("unknown", "unknown"): 1,
        ("skip", "refused"): 1,
    }
    status, text = await fetch(await serve(), "/metrics")
    assert status == 200 and 'allies_commands_total{command="update",outcome="ok"}' in text


async def test_the_matrix_check_says_why(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    assert (await connection_problem(f"http://127.0.0.1:{closed}", 1.0)).startswith(
        "the homeserver does not answer"
    )

    async def versions(_request: web.Request) -> web.Response:
        return web.json_response({"versions": ["v1.11"]})

    app = web.Application()
    app.router.add_get("/_matrix/client/versions", versions)
    async with serving(app) as live:
        assert await connection_problem(live, None) == "not synced yet"
        assert await connection_problem(live, 10.0) is None
        assert await connection_problem(live, 100.0) == "no sync completed for 100 s"


@pytest.mark.parametrize(
    ("listen", "problem"),
    [
        ("9464", "ops.listen: '9464' must be an IP address and port"),
        ("localhost:9464", "ops.listen: 'localhost:9464' must be an IP address and port"),
        ("127.0.0.1:99999", "must be an IP address and port"),
    ],
)
def test_bad_ops_listen_is_named(tmp_path, listen, problem):
    from bot.config import ConfigError, load_config
    from tests.unit.fakes import CONFIG
    from tests.unit.test_config import write

    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, f'[ops]\nlisten = "{listen}"\n' + CONFIG), require_matrix=False)
    assert any(problem in p for p in caught.value.problems), caught.value.problems


def test_ops_listen_on_ipv6_and_v4(tmp_path):
    from bot.config import load_config
    from tests.unit.fakes import CONFIG
    from tests.unit.test_config import write

    config = load_config(
        write(tmp_path, '[ops]\nlisten = "[::1]:9464"\n' + CONFIG), require_matrix=False
    )
    assert (config.ops.host, config.ops.port) == ("::1", 9464)
