"""The `[matrix]` table: the bot's account and how it trusts members' devices."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.config.problems import USER_ID_RE, Checker

# Which members' devices get room keys in encrypted rooms (bot.chat.matrix.trust):
# "cross-signing": the devices a member's pinned cross-signing identity signs,
#   and, for members without cross-signing (older clients), devices on first use;
# "cross-signed-only": only devices their owner's pinned identity signs;
# "operator-verified": only devices verified with `allies-bot devices verify`.
TRUST_POLICIES = ("cross-signing", "cross-signed-only", "operator-verified")
# The names before cross-signing, so existing config files keep working.
TRUST_ALIASES = {"tofu": "cross-signing", "verified": "operator-verified"}

PASSWORD_ENV = "ALLIES_BOT_PASSWORD"
TOKEN_ENV = "ALLIES_BOT_ACCESS_TOKEN"


@dataclass(frozen=True)
class MatrixConfig:
    homeserver: str
    user_id: str
    password: str | None = field(default=None, repr=False)
    access_token: str | None = field(default=None, repr=False)
    device_name: str = "allies-bot"
    trust: str = "cross-signing"  # which devices get room keys: see TRUST_POLICIES


def parse_matrix(table: Any, environ: dict[str, str], check: Checker) -> MatrixConfig | None:
    if table is None:
        check.fail("matrix", "missing [matrix] table (needed to run on Matrix)")
        return None
    if not isinstance(table, dict):
        check.fail("matrix", "must be a table")
        return None
    check.unknown_keys(table, "matrix", "matrix")
    homeserver = check.string(table, "homeserver", "matrix")
    if homeserver and not homeserver.startswith(("http://", "https://")):
        check.fail("matrix.homeserver", f"{homeserver!r} must start with https:// or http://")
    user_id = check.string(table, "user_id", "matrix")
    if user_id and not USER_ID_RE.match(user_id):
        check.fail("matrix.user_id", f"{user_id!r} must be in the form @name:server")
    password = environ.get(PASSWORD_ENV) or table.get("password")
    token = environ.get(TOKEN_ENV) or table.get("access_token")
    if not password and not token:
        check.fail("matrix.password", f"set password or access_token (or {PASSWORD_ENV})")
    device_name = check.string(table, "device_name", "matrix", required=False) or "allies-bot"
    trust = check.string(table, "trust", "matrix", required=False) or TRUST_POLICIES[0]
    trust = TRUST_ALIASES.get(trust, trust)
    if trust not in TRUST_POLICIES:
        check.fail(
            "matrix.trust",
            f'{trust!r} is not a trust policy; use "cross-signing" (devices their owner '
            'cross-signed; first use for members without cross-signing), "cross-signed-only" '
            'or "operator-verified" (only devices verified with `allies-bot devices verify`)',
        )
    if not (homeserver and user_id):
        return None
    return MatrixConfig(homeserver.rstrip("/"), user_id, password, token, device_name, trust)
