"""`[ops]`: where the health and metrics endpoints listen.

Only a loopback address by default in the example: the endpoints say how
the service is doing, which is for the operator's monitoring, not the world
(put a reverse proxy with access control in front to expose them)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from bot.config.problems import Checker


@dataclass(frozen=True)
class OpsConfig:
    host: str
    port: int


def parse_ops(table: Any, check: Checker) -> OpsConfig | None:
    if table is None:
        return None
    if not isinstance(table, dict):
        check.fail("ops", "must be a table")
        return None
    check.unknown_keys(table, "ops", "ops")
    listen = check.string(table, "listen", "ops")
    address = parse_listen(listen, "ops.listen", check) if listen else None
    return OpsConfig(*address) if address else None


def parse_listen(listen: str, key: str, check: Checker) -> tuple[str, int] | None:
    """`host:port` with an IP address (`[::1]:8080` for IPv6): where a server binds."""
    host, sep, port_text = listen.rpartition(":")
    host = host.strip("[]")
    try:
        ipaddress.ip_address(host)
        port = int(port_text)
    except ValueError:
        port = -1
    if not sep or not 0 < port < 65536:
        check.fail(key, f"{listen!r} must be an IP address and port, e.g. 127.0.0.1:9464")
        return None
    return host, port
