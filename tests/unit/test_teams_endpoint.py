"""The messaging endpoint under bad input: a clear refusal, nothing stored,
and it keeps serving (the real TeamsTransport on a loopback port)."""

import asyncio
import socket

import aiohttp
import pytest_asyncio

from bot.chat.teams.transport import TeamsTransport
from bot.config import load_config
from storage.db import Storage

CONFIG = """
[teams]
allow_anonymous = true
port = {port}

[storage]
url = "sqlite+aiosqlite:///bot.db"

[[groups]]
id = "allies"
teams_conversation = "19:c@thread.tacv2"
[[groups.members]]
user = "anna@uni.example"
alliance = "FORTHEM"
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest_asyncio.fixture
async def endpoint(tmp_path):
    port = free_port()
    (tmp_path / "config.toml").write_text(CONFIG.format(port=port))
    config = load_config(tmp_path / "config.toml", environ={})
    storage = Storage(config.storage.url)
    await storage.migrate()
    transport = TeamsTransport(config, storage)
    events = []

    async def on_event(event):
        events.append(event)

    serving = asyncio.create_task(transport.start(on_event))
    while transport.port is None:
        await asyncio.sleep(0.01)
    yield f"http://127.0.0.1:{port}", events, storage
    await transport.stop()
    await serving
    await transport.close()
    await storage.close()


async def test_bad_input_is_refused_clearly_and_the_endpoint_lives_on(endpoint):
    base, events, storage = endpoint
    url = base + "/api/messages"
    async with aiohttp.ClientSession() as session:
        cases = [
            (b"not json", 400),
            (b'{"type": "message", "id": "1"}', 400),  # no conversation
            (b'["a", "list"]', 400),
            (b"\xff\xfe", 400),
            (b"{" + b'"x": "' + b"y" * 300_000 + b'"}', 413),
        ]
        for body, status in cases:
            headers = {"Content-Type": "application/json"}
            async with session.post(url, data=body, headers=headers) as response:
                assert response.status == status, body[:40]
        foreign = {
            "type": "message",
            "id": "2",
            "serviceUrl": "https://attacker.example/",
            "conversation": {"id": "19:c@thread.tacv2;messageid=2"},
            "from": {"id": "29:x"},
            "text": "!help",
        }
        async with session.post(url, json=foreign) as response:
            assert response.status == 403  # the bot would answer at a host not Microsoft's
        async with session.get(base + "/files/" + "A" * 43 + "/x.ics") as response:
            assert response.status == 404
        async with session.get(base + "/privacy") as response:
            assert response.status == 200 and "Retention" in await response.text()
    assert events == []
    async with storage.transaction() as repo:
        assert await repo.pending_count() == 0
