"""`[teams]`: the Azure Bot the bot answers as, and where Teams reaches it.

Anonymous mode (no token checks) exists only for Microsoft's local emulator,
the Agents Playground: it is refused next to an `app_id` (a registered bot
always checks tokens) and on any address but loopback (the world must never
reach an endpoint that believes every caller).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any

from bot.config.problems import Checker

APP_PASSWORD_ENV = "ALLIES_BOT_TEAMS_APP_PASSWORD"
GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
# A channel, group chat or personal chat id as Teams gives it (no thread part).
CONVERSATION_RE = re.compile(r"^[^\s;]{1,200}$")
DEFAULT_PORT = 3978


@dataclass(frozen=True)
class TeamsConfig:
    app_id: str | None
    app_password: str | None = field(default=None, repr=False)
    tenant_id: str | None = None
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    public_url: str = ""  # how members reach the files the bot serves
    allow_anonymous: bool = False
    # For national clouds and tests: more Bot Connector hosts the bot may
    # answer at, and other OpenID metadata to take signing keys from.
    service_hosts: tuple[str, ...] = ()
    openid_metadata: tuple[str, ...] = ()

    @property
    def anonymous(self) -> bool:
        return self.allow_anonymous and self.app_id is None


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _port(table: dict, check: Checker) -> int:
    port = table.get("port", DEFAULT_PORT)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        check.fail("teams.port", f"{port!r} must be a port number (1-65535)")
        return DEFAULT_PORT
    return port


def _public_url(table: dict, host: str, port: int, anonymous: bool, check: Checker) -> str:
    """A registered bot's links reach members over the internet: https, and
    stated (no guess from `host`, which is often 127.0.0.1 behind a proxy)."""
    url = check.string(table, "public_url", "teams", required=not anonymous)
    if url is None:
        return f"http://{host}:{port}"
    scheme = r"https?" if anonymous else r"https"
    if not re.match(rf"^{scheme}://[^\s/?#]+(/[^\s?#]*)?$", url):
        check.fail(
            "teams.public_url", f"{url!r} must be an https:// URL like https://bot.example.org"
        )
    return url.rstrip("/")


def parse_teams(table: Any, environ: dict[str, str], check: Checker) -> TeamsConfig | None:
    if table is None:
        check.fail("teams", "missing [teams] table (needed to run in Microsoft Teams)")
        return None
    if not isinstance(table, dict):
        check.fail("teams", "must be a table")
        return None
    check.unknown_keys(table, "teams", "teams")
    anonymous = table.get("allow_anonymous", False)
    if not isinstance(anonymous, bool):
        check.fail("teams.allow_anonymous", "must be true or false")
        anonymous = False
    app_id = check.string(table, "app_id", "teams", required=not anonymous)
    if app_id and not GUID_RE.match(app_id):
        check.fail("teams.app_id", f"{app_id!r} must be the Azure Bot's Microsoft App ID (a GUID)")
    password = environ.get(APP_PASSWORD_ENV) or table.get("app_password")
    tenant_id = check.string(table, "tenant_id", "teams", required=not anonymous)
    if tenant_id and not GUID_RE.match(tenant_id):
        check.fail("teams.tenant_id", f"{tenant_id!r} must be the Entra tenant ID (a GUID)")
    if not anonymous and not password:
        check.fail("teams.app_password", f"set app_password (or {APP_PASSWORD_ENV})")
    host = check.string(table, "host", "teams", required=False) or "127.0.0.1"
    port = _port(table, check)
    if anonymous and app_id:
        check.fail(
            "teams.allow_anonymous",
            "true is only for Microsoft's local emulator: remove it when app_id is set",
        )
    if anonymous and not is_loopback(host):
        check.fail(
            "teams.allow_anonymous",
            f"true needs a loopback host (127.0.0.1), not {host!r}: anyone could post as anyone",
        )
    public_url = _public_url(table, host, port, anonymous, check)
    return TeamsConfig(
        app_id,
        password or None,
        tenant_id,
        host,
        port,
        public_url,
        anonymous,
        _strings(table, "service_hosts", check),
        _strings(table, "openid_metadata", check, url=True),
    )


def _strings(table: dict, key: str, check: Checker, *, url: bool = False) -> tuple[str, ...]:
    value = table.get(key, [])
    kind = "URLs (https://…)" if url else "host names"
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        check.fail(f"teams.{key}", f"must be a list of {kind}")
        return ()
    for item in value:
        if url and not (item.startswith("https://") or item.startswith("http://127.0.0.1")):
            check.fail(f"teams.{key}", f"{item!r} must be an https:// URL (http only on 127.0.0.1)")
    return tuple(v.strip().lower() if not url else v.strip() for v in value)
