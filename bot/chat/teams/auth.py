"""Who may post to the bot's messaging endpoint: Bot Framework tokens only.

Every activity carries a JWT in `Authorization: Bearer …`. It is accepted
only when it is signed by a key published in the Bot Framework's OpenID
metadata (or metadata the operator names), is issued by that metadata's
issuer, is meant for this bot (`aud` = app id), is current, and names the
very `serviceUrl` the activity asks the bot to answer at (so a token for
one conversation host cannot steer replies to another). Signatures and
claims are checked by PyJWT; this module only chooses the keys and rules.

The Agents SDK has a validator too, but it fixes the metadata URLs (so it
cannot be tested against keys a test owns) and checks no issuer and no
`serviceUrl` unless told; these are the rules Microsoft documents for bots.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import aiohttp
import jwt

log = logging.getLogger(__name__)
BOT_FRAMEWORK_METADATA = "https://login.botframework.com/v1/.well-known/openidconfiguration"
KEYS_MAX_AGE_S = 24 * 3600
REFRESH_AT_MOST_EVERY_S = 300  # an unknown key id refreshes the keys, but not in a loop
LEEWAY_S = 300
FETCH_TIMEOUT = aiohttp.ClientTimeout(total=10)


class Unauthorized(Exception):
    """The request is refused (HTTP 401). The message says why, for the log
    only: it never holds the token."""


@dataclass
class _Source:
    metadata_url: str
    issuer: str = ""
    keys: dict[str, tuple[jwt.PyJWK, tuple[str, ...]]] = field(default_factory=dict)
    fetched_at: float = float("-inf")


class TokenValidator:
    def __init__(
        self,
        app_id: str,
        tenant_id: str | None,
        metadata_urls: Sequence[str] = (),
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.app_id = app_id
        self.tenant_id = tenant_id
        # Only the Bot Framework by default: it is what the Bot Connector signs
        # Teams' activities with. Entra tokens with `aud` = the app id can be
        # had by any app of the tenant, so they are trusted only when the
        # operator names that metadata (`[teams] openid_metadata`).
        urls = list(metadata_urls) or [BOT_FRAMEWORK_METADATA]
        self._sources = [_Source(url) for url in urls]
        self._session = session
        self._lock = asyncio.Lock()

    async def validate(self, authorization: str | None, service_url: str, channel_id: str) -> dict:
        """The token's claims, or `Unauthorized`."""
        if not authorization:
            raise Unauthorized("no Authorization header")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Authorization is not a bearer token")
        try:
            header = jwt.get_unverified_header(token.strip())
        except jwt.PyJWTError:
            raise Unauthorized("not a JWT") from None
        if header.get("alg") != "RS256" or not isinstance(header.get("kid"), str):
            raise Unauthorized("not an RS256 token with a key id")
        source, key, endorsements = await self._key(header["kid"])
        if endorsements and channel_id not in endorsements:
            raise Unauthorized(f"the signing key is not endorsed for channel {channel_id!r}")
        claims = self._decode(token.strip(), key, source)
        # Every token names the service URL it was issued for; one without is
        # not from the Bot Connector (and could steer the bot's answers anywhere).
        claimed = str(claims.get("serviceurl", ""))
        if not claimed or claimed.rstrip("/").lower() != service_url.rstrip("/").lower():
            raise Unauthorized("the token's serviceUrl is not the activity's")
        return claims

    def _decode(self, token: str, key: jwt.PyJWK, source: _Source) -> dict:
        issuers = {source.issuer}
        if self.tenant_id and source.issuer.startswith("https://login.microsoftonline.com/"):
            issuers.add(f"https://sts.windows.net/{self.tenant_id}/")  # v1 tokens of the tenant
        try:
            return jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                audience=self.app_id,
                issuer=issuers,
                leeway=LEEWAY_S,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"token refused ({type(exc).__name__})") from None

    async def _key(self, kid: str) -> tuple[_Source, jwt.PyJWK, tuple[str, ...]]:
        for refresh in (False, True):
            async with self._lock:
                for source in self._sources:
                    now = time.monotonic()
                    stale = now - source.fetched_at > KEYS_MAX_AGE_S
                    wanted = refresh and now - source.fetched_at > REFRESH_AT_MOST_EVERY_S
                    if stale or wanted:
                        await self._fetch(source)
                    if kid in source.keys:
                        key, endorsements = source.keys[kid]
                        return source, key, endorsements
        raise Unauthorized("signed by a key no trusted issuer publishes")

    async def _fetch(self, source: _Source) -> None:
        """Read the metadata's issuer and keys. A failure keeps the old keys
        (and is retried after REFRESH_AT_MOST_EVERY_S)."""
        source.fetched_at = time.monotonic()
        session = self._session or aiohttp.ClientSession(timeout=FETCH_TIMEOUT)
        try:
            async with session.get(source.metadata_url) as response:
                response.raise_for_status()
                metadata = await response.json(content_type=None)
            async with session.get(metadata["jwks_uri"]) as response:
                response.raise_for_status()
                jwks = await response.json(content_type=None)
            keys = {}
            for entry in jwks.get("keys", []):
                if entry.get("kid") and entry.get("kty") == "RSA":
                    endorsements = tuple(entry.get("endorsements") or ())
                    keys[entry["kid"]] = (jwt.PyJWK(entry, algorithm="RS256"), endorsements)
            source.issuer, source.keys = str(metadata["issuer"]), keys
            log.info("signing keys read from %s: %d", source.metadata_url, len(keys))
        except (aiohttp.ClientError, TimeoutError, KeyError, ValueError, jwt.PyJWTError) as exc:
            log.warning("cannot read signing keys from %s (%s)", source.metadata_url, exc)
        finally:
            if self._session is None:
                await session.close()
