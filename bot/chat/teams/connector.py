"""The bot's calls to the Bot Connector: posts, replies, edits, members.

Through the Agents SDK's `ConnectorClient`, one per service URL, with the
bot's app token from MSAL (none in anonymous mode). Teams has no
idempotency key for posts, so a post is retried only when Teams says it was
not taken (429, 5xx: honouring `Retry-After`) or the connection was never
made; any other refusal is final. Service URLs come from activities, so
the bot talks only to hosts on an allow-list: Microsoft's, and loopback
for the local emulator.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import quote, urlsplit

import aiohttp
from microsoft_agents.activity import Activity, ChannelAccount
from microsoft_agents.hosting.core.connector.client.connector_client import ConnectorClient

from bot.chat.transport import SendError
from bot.config.teams import TeamsConfig, is_loopback

log = logging.getLogger(__name__)
# The Bot Connector's hosts in Microsoft's clouds (public, GCC, GCC High, DoD).
MICROSOFT_HOSTS = (
    "smba.trafficmanager.net",
    ".botframework.com",
    ".botframework.us",
    ".teams.microsoft.com",
    ".teams.microsoft.us",
    ".infra.gov.teams.microsoft.us",
)
CONNECTOR_AUDIENCE = "https://api.botframework.com"
CONNECTOR_SCOPE = CONNECTOR_AUDIENCE + "/.default"
ATTEMPTS = 3
MAX_RETRY_AFTER_S = 30.0
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=10)


def service_url_allowed(url: str, *, anonymous: bool, extra_hosts: tuple[str, ...] = ()) -> bool:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if anonymous and is_loopback(host):
        return parts.scheme in ("http", "https")
    if host in extra_hosts:
        return parts.scheme in ("http", "https")
    return parts.scheme == "https" and any(
        host == allowed.lstrip(".") or (allowed.startswith(".") and host.endswith(allowed))
        for allowed in MICROSOFT_HOSTS
    )


def retry_after(exc: aiohttp.ClientResponseError, attempt: int) -> float:
    header = (exc.headers or {}).get("Retry-After", "")
    try:
        return min(max(float(header), 0.0), MAX_RETRY_AFTER_S)
    except ValueError:
        return min(0.5 * 2**attempt, MAX_RETRY_AFTER_S)


class Connector:
    def __init__(self, config: TeamsConfig, sleep=asyncio.sleep) -> None:
        self.config = config
        self._sleep = sleep
        self._clients: dict[str, ConnectorClient] = {}
        self._auth = None
        if not config.anonymous:
            from microsoft_agents.authentication.msal import MsalAuth
            from microsoft_agents.hosting.core import AgentAuthConfiguration, AuthTypes

            self._auth = MsalAuth(
                AgentAuthConfiguration(
                    auth_type=AuthTypes.client_secret,
                    client_id=config.app_id,
                    tenant_id=config.tenant_id,
                    client_secret=config.app_password,
                )
            )

    def allowed(self, service_url: str) -> bool:
        return service_url_allowed(
            service_url, anonymous=self.config.anonymous, extra_hosts=self.config.service_hosts
        )

    async def _client(self, service_url: str) -> ConnectorClient:
        if not self.allowed(service_url):
            raise SendError(f"service URL host not allowed: {service_url}", permanent=True)
        client = self._clients.get(service_url)
        if client is None:
            session = aiohttp.ClientSession(
                base_url=service_url.rstrip("/") + "/", timeout=REQUEST_TIMEOUT
            )
            client = self._clients[service_url] = ConnectorClient(service_url, "", session=session)
        if self._auth is not None:
            try:
                token = await self._auth.get_access_token(CONNECTOR_AUDIENCE, [CONNECTOR_SCOPE])
            except Exception as exc:  # MSAL's errors name no secret, but say what failed
                raise SendError(
                    f"no app token from Entra ({type(exc).__name__})", permanent=False
                ) from None
            client.client.headers["Authorization"] = f"Bearer {token}"
        return client

    async def call(self, service_url: str, what: str, operation) -> object:
        """Run `operation(conversations)` with the retry rules above."""
        for attempt in range(ATTEMPTS):
            client = await self._client(service_url)
            try:
                return await operation(client.conversations)
            except aiohttp.ClientResponseError as exc:
                if exc.status != 429 and exc.status < 500:
                    raise SendError(
                        f"{what}: Teams refused it ({exc.status})",
                        permanent=True,
                        status=exc.status,
                    ) from None
                if attempt + 1 == ATTEMPTS:
                    raise SendError(f"{what}: Teams busy ({exc.status})", permanent=False) from None
                await self._sleep(retry_after(exc, attempt))
            except aiohttp.ClientConnectorError as exc:
                if attempt + 1 == ATTEMPTS:
                    raise SendError(
                        f"{what}: cannot connect ({exc.os_error})", permanent=False
                    ) from None
                await self._sleep(0.5 * 2**attempt)
            except ValueError as exc:  # Teams took it but its answer is no resource id
                raise SendError(
                    f"{what}: Teams' answer unreadable ({type(exc).__name__})", permanent=True
                ) from None
            except (aiohttp.ClientError, TimeoutError) as exc:
                # The request may have reached Teams: retried by the outbox later,
                # which may post twice; Teams offers no way to know.
                raise SendError(f"{what}: {type(exc).__name__}", permanent=False) from None
        raise AssertionError("unreachable")

    async def post(self, service_url: str, conversation: str, activity: Activity) -> str:
        conversation = _path(conversation)
        response = await self.call(
            service_url, "post", lambda c: c.send_to_conversation(conversation, activity)
        )
        return _resource_id(response)

    async def reply(
        self, service_url: str, conversation: str, activity_id: str, activity: Activity
    ) -> str:
        conversation, activity_id = _path(conversation), _path(activity_id)
        response = await self.call(
            service_url, "reply", lambda c: c.reply_to_activity(conversation, activity_id, activity)
        )
        return _resource_id(response)

    async def edit(
        self, service_url: str, conversation: str, activity_id: str, activity: Activity
    ) -> None:
        conversation, activity_id = _path(conversation), _path(activity_id)
        await self.call(
            service_url, "edit", lambda c: c.update_activity(conversation, activity_id, activity)
        )

    async def member(self, service_url: str, conversation: str, member_id: str) -> ChannelAccount:
        conversation, member_id = _path(conversation), _path(member_id)
        return await self.call(
            service_url, "member", lambda c: c.get_conversation_member(conversation, member_id)
        )

    async def members(self, service_url: str, conversation: str) -> list[ChannelAccount]:
        conversation = _path(conversation)
        return await self.call(
            service_url, "members", lambda c: c.get_conversation_members(conversation)
        )

    async def open_chat(self, service_url: str, parameters) -> str:
        response = await self.call(
            service_url, "open chat", lambda c: c.create_conversation(parameters)
        )
        return response.id

    async def close(self) -> None:
        for client in self._clients.values():
            await client.close()
        self._clients.clear()


def _path(segment: str) -> str:
    """An id as exactly one URL path segment: the SDK puts ids into paths as
    they are, so a `/`, `?` or `#` in an id would change the request. (`:`,
    `@`, `;` and `=` are legal in a segment; aiohttp sends them as they are.)"""
    return quote(segment, safe="")


def _resource_id(response) -> str:
    identifier = getattr(response, "id", None)
    if not identifier:
        raise SendError("Teams answered without a message id", permanent=True)
    return identifier
