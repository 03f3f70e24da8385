"""`[web]`: the bot's public HTTP server (calendar feeds, one-click mail opt-out).

Separate from `[ops]` on purpose: /metrics and /healthz are for the
operator's monitoring, while these pages are reached by members' calendar
applications and mail clients from anywhere. `public_url` is how the world
reaches the server (usually through a reverse proxy that ends TLS); it must
be https unless it names this machine, because feed and opt-out links carry
tokens that plain http would show to every network on the way.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bot.config.ops import parse_listen
from bot.config.problems import Checker

DEFAULT_MONTHS_PAST, DEFAULT_MONTHS_AHEAD = 6, 18


@dataclass(frozen=True)
class WebConfig:
    host: str
    port: int
    public_url: str  # without a trailing slash
    feed_months_past: int = DEFAULT_MONTHS_PAST
    feed_months_ahead: int = DEFAULT_MONTHS_AHEAD

    def url(self, path: str) -> str:
        """The public address of one of the server's paths (`/calendar/…`)."""
        return f"{self.public_url}{path}"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _public_url(value: str, check: Checker) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        check.fail("web.public_url", f"{value!r} must be a URL like https://allies.example.org")
        return None
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        check.fail(
            "web.public_url",
            f"{value!r} must use https (feed and opt-out links carry tokens); "
            "plain http is only accepted for this machine (localhost)",
        )
        return None
    if parts.query or parts.fragment:
        check.fail("web.public_url", "must not have a query or a fragment")
        return None
    return value.rstrip("/")


def _months(table: dict, key: str, default: int, check: Checker) -> int:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 120:
        check.fail(f"web.{key}", f"must be a whole number of months from 0 to 120, got {value!r}")
        return default
    return value


def parse_web(table: Any, check: Checker) -> WebConfig | None:
    if table is None:
        return None
    if not isinstance(table, dict):
        check.fail("web", "must be a table")
        return None
    check.unknown_keys(table, "web", "web")
    listen = check.string(table, "listen", "web")
    address = parse_listen(listen, "web.listen", check) if listen else None
    public = check.string(table, "public_url", "web")
    public_url = _public_url(public, check) if public else None
    past = _months(table, "feed_months_past", DEFAULT_MONTHS_PAST, check)
    ahead = _months(table, "feed_months_ahead", DEFAULT_MONTHS_AHEAD, check)
    if address is None or public_url is None:
        return None
    return WebConfig(*address, public_url, past, ahead)
