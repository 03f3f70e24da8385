"""A registered bot (`app_id` set) believes only tokens signed by keys its
issuer publishes: checked for real, with an RSA key this test makes and an
OpenID metadata / JWKS endpoint it serves on loopback, against the real
`allies-bot run` process. A refused activity is a 401 and nothing else:
the bot does not even look the sender up."""

from __future__ import annotations

import json
import time

import aiohttp
import jwt
import pytest_asyncio
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.loopback import free_port, serving

from .bot_process import BotProcess
from .teams_playground import BOT_ID, CHANNEL, MEMBER, TENANT

APP_ID = "11111111-2222-3333-4444-555555555555"
APP_PASSWORD = "teams-app-s3cret-value"
ISSUER = "https://api.botframework.com"
KID = "test-key-1"


def jwk_of(key: rsa.RSAPrivateKey) -> dict:
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {**public, "kid": KID, "use": "sig", "endorsements": ["msteams"]}


class FakeIssuerAndConnector:
    """Serves the OpenID metadata and keys, and records every Bot Connector call."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.calls: list[str] = []
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/metadata", self.metadata)
        app.router.add_get("/jwks", self.jwks)
        app.router.add_route("*", "/connector/{tail:.*}", self.connector)
        return app

    async def metadata(self, request: web.Request) -> web.Response:
        return web.json_response({"issuer": ISSUER, "jwks_uri": f"{self.base}/jwks"})

    async def jwks(self, request: web.Request) -> web.Response:
        return web.json_response({"keys": [jwk_of(self.key)]})

    async def connector(self, request: web.Request) -> web.Response:
        self.calls.append(f"{request.method} {request.path}")
        return web.json_response({"error": "this test answers nothing"}, status=404)

    def token(self, *, key=None, **claims) -> str:
        now = int(time.time())
        payload = {
            "iss": ISSUER,
            "aud": APP_ID,
            "exp": now + 600,
            "nbf": now - 10,
            "serviceurl": f"{self.base}/connector",
            **claims,
        }
        return jwt.encode(payload, key or self.key, algorithm="RS256", headers={"kid": KID})


def config(bot_port: int, issuer: FakeIssuerAndConnector) -> str:
    return f"""
[teams]
app_id = "{APP_ID}"
tenant_id = "{TENANT}"
host = "127.0.0.1"
port = {bot_port}
public_url = "https://allies-bot.example.org"
openid_metadata = ["{issuer.base}/metadata"]
service_hosts = ["127.0.0.1"]

[storage]
url = "sqlite+aiosqlite:///data/bot.db"
data_dir = "data"

[[groups]]
id = "allies"
teams_conversation = "{CHANNEL}"
[[groups.members]]
user = "{MEMBER.email}"
alliance = "FORTHEM"
"""


def activity(issuer: FakeIssuerAndConnector, activity_id: str) -> dict:
    return {
        "type": "message",
        "id": activity_id,
        "channelId": "msteams",
        "serviceUrl": f"{issuer.base}/connector",
        "from": {"id": MEMBER.teams_id, "name": MEMBER.name},
        "recipient": {"id": BOT_ID, "name": "ALLIES bot"},
        "conversation": {
            "id": f"{CHANNEL};messageid=1",
            "conversationType": "channel",
            "isGroup": True,
            "tenantId": TENANT,
        },
        "text": "!help",
    }


@pytest_asyncio.fixture(loop_scope="session")
async def registered_bot(tmp_path):
    issuer = FakeIssuerAndConnector()
    async with serving(issuer.app(), issuer.port):
        port = free_port()
        (tmp_path / "data").mkdir()
        bot = BotProcess(tmp_path, config(port, issuer), "")
        bot.extra_env = {"ALLIES_BOT_TEAMS_APP_PASSWORD": APP_PASSWORD}
        await bot.start()
        await bot.wait_for_log("Teams messaging endpoint on")
        yield bot, issuer, f"http://127.0.0.1:{port}/api/messages"
        await bot.stop()


async def test_only_tokens_from_the_trusted_issuer_for_this_bot_are_believed(registered_bot):
    bot, issuer, endpoint = registered_bot
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    refused = {
        "no token": None,
        "not a bearer token": "Basic dXNlcjpwYXNz",
        "garbage": "Bearer not.a.jwt",
        "forged: signed by another key": "Bearer " + issuer.token(key=other_key),
        "another bot's token": "Bearer " + issuer.token(aud="99999999-2222-3333-4444-555555555555"),
        "expired": "Bearer " + issuer.token(exp=int(time.time()) - 3600),
        "another issuer": "Bearer " + issuer.token(iss="https://evil.example"),
        "for another service URL": "Bearer " + issuer.token(serviceurl="https://evil.example/"),
        "naming no service URL": "Bearer " + issuer.token(serviceurl=""),
    }
    async with aiohttp.ClientSession() as session:
        for index, (what, header) in enumerate(refused.items()):
            headers = {"Authorization": header} if header else {}
            body = activity(issuer, f"refused-{index}")
            async with session.post(endpoint, json=body, headers=headers) as response:
                assert response.status == 401, what
                assert APP_PASSWORD not in await response.text()
        assert issuer.calls == [], "a refused activity made the bot call Teams"
        assert "command !help" not in bot.log()

        # A good token from another tenant: refused too (403), nothing done.
        stranger = activity(issuer, "other-tenant")
        stranger["conversation"]["tenantId"] = "99999999-0000-0000-0000-000000000000"
        good = {"Authorization": "Bearer " + issuer.token()}
        async with session.post(endpoint, json=stranger, headers=good) as response:
            assert response.status == 403
        assert issuer.calls == []

        # A good token gets past the checks. The bot then needs its own token
        # from Entra to ask Teams who the sender is; offline it cannot, so it
        # answers "try again" (Teams redelivers) instead of guessing.
        good = {"Authorization": "Bearer " + issuer.token()}
        async with session.post(
            endpoint, json=activity(issuer, "good-1"), headers=good
        ) as response:
            assert response.status == 500
    await bot.wait_for_log("no app token from Entra")
    # every refusal logged (the other tenant's too), the good token's not
    assert bot.log().count("refused an activity") == len(refused) + 1
    assert "command !help" not in bot.log()
    assert APP_PASSWORD not in bot.log()
