"""The messaging endpoint under bad input: a clear refusal, nothing stored,
and it keeps serving (the real TeamsTransport on a loopback port)."""

import asyncio

import aiohttp
import pytest_asyncio
from aiohttp import web

from bot.chat.teams.transport import TeamsTransport
from bot.config import load_config
from storage.db import Storage
from tests.loopback import free_port, serving

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
    assert await transport.health() is None  # /healthz: listening
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
            (b"[" * 100_000 + b"]" * 100_000, 400),  # nesting no parser should follow
            (b'{"type": "message", "channelId": "webchat", "conversation": {"id": "c"}}', 400),
            (b"{" + b'"x": "' + b"y" * 300_000 + b'"}', 413),
        ]
        for body, status in cases:
            headers = {"Content-Type": "application/json"}
            async with session.post(url, data=body, headers=headers) as response:
                assert response.status == status, body[:40]
        odd_tenant = {
            "type": "conversationUpdate",
            "id": "3",
            "channelId": "msteams",
            "serviceUrl": "https://smba.trafficmanager.net/emea/",
            "conversation": {"id": "19:other@thread.tacv2"},
            "channelData": {"tenant": "not-an-object"},
        }
        async with session.post(url, json=odd_tenant) as response:
            assert response.status == 200  # odd, but nothing to do: not a 500 Teams retries
        foreign = {
            "type": "message",
            "id": "2",
            "channelId": "msteams",
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


async def test_a_redelivery_during_the_first_delivery_is_not_handled_twice(endpoint):
    base, events, _ = endpoint
    looked_up = []

    async def member(request):
        looked_up.append(request.path)
        await asyncio.sleep(0.3)  # Teams slow to answer: the redelivery arrives meanwhile
        return web.json_response({"id": "29:anna", "name": "Anna", "email": "anna@uni.example"})

    app = web.Application()
    app.router.add_get("/v3/conversations/{conversation}/members/{member}", member)
    async with serving(app) as connector, aiohttp.ClientSession() as session:
        activity = {
            "type": "message",
            "id": "m-1",
            "channelId": "msteams",
            "serviceUrl": connector,
            "conversation": {"id": "19:c@thread.tacv2;messageid=1", "conversationType": "channel"},
            "from": {"id": "29:anna", "name": "Anna"},
            "recipient": {"id": "28:bot"},
            "text": "!help",
        }

        async def deliver() -> int:
            async with session.post(base + "/api/messages", json=activity) as response:
                return response.status

        assert await asyncio.gather(deliver(), deliver()) == [200, 200]
    messages = [e for e in events if e.kind.value == "message"]
    assert len(messages) == 1 and messages[0].sender == "anna@uni.example"
    assert len(looked_up) == 1
