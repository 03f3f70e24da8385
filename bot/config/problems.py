"""Collects config problems, each naming its key, so all are reported at once."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

USER_ID_RE = re.compile(r"^@[a-z0-9._=\-/+]+:[A-Za-z0-9.\-:\[\]]+$")
# Teams people are named by e-mail address or UPN (lower-cased when read).
EMAIL_RE = re.compile(r"^[a-z0-9._%+'\-]+@[a-z0-9\-]+(\.[a-z0-9\-]+)+$")
MATRIX, TEAMS = "matrix", "teams"
PERSON_RULES = {
    MATRIX: (USER_ID_RE, "a Matrix user ID like @name:server"),
    TEAMS: (EMAIL_RE, "an e-mail address or UPN like name@university.example"),
}


def person_id(value: object, network: str) -> str | None:
    """The configured id of a person on `network`, normalised, or None."""
    if not isinstance(value, str):
        return None
    value = value.strip().lower() if network == TEAMS else value
    pattern, _ = PERSON_RULES[network]
    return value if pattern.match(value) else None


KNOWN_KEYS = {
    "": {"matrix", "teams", "storage", "groups", "privacy", "ops", "web", "email"},
    "teams": {
        "app_id",
        "app_password",
        "tenant_id",
        "host",
        "port",
        "public_url",
        "allow_anonymous",
        "service_hosts",
        "openid_metadata",
    },
    "ops": {"listen"},
    "web": {"listen", "public_url", "feed_months_past", "feed_months_ahead"},
    "email": {"host", "port", "security", "from", "username", "inbound", "ca_file"},
    "inbound": {
        "host",
        "port",
        "security",
        "user",
        "address",
        "folder",
        "processed_folder",
        "poll_seconds",
    },
    "privacy": {"contact", "notice", "retention"},
    "matrix": {"homeserver", "user_id", "password", "access_token", "device_name", "trust"},
    "storage": {"url", "data_dir"},
    "group": {
        "id",
        "name",
        "room",
        "teams_conversation",
        "timezone",
        "chairs",
        "vice_chairs",
        "members",
        "cadence",
        "announce",
        "call_link",
        "standing_items",
        "languages",
        "date_order",
        "auto_close",
        "names",
        "parent",
        "retention",
        "email",
    },
    "cadence": {"dates", "start", "every", "duration", "breaks", "until"},
    "announce": {"agenda_before", "reminders", "chase_updates", "grace"},
    "member": {"user", "alliance", "name", "email"},
}
# The same lists, read-only, for those who check against them (the docs test),
# by kind of table as `unknown_keys` takes it: "" is the top level, "group"
# each [[groups]], "cadence" and "announce" its [groups.cadence] and
# [groups.announce], "member" each [[groups.members]]; the others are named
# as their tables. `[groups.names]` takes any person as a key: not listed.
ACCEPTED_KEYS: Mapping[str, frozenset[str]] = MappingProxyType(
    {kind: frozenset(keys) for kind, keys in KNOWN_KEYS.items()}
)


class Checker:
    """Collects problems while reading typed values out of raw TOML tables."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.warnings: list[str] = []  # allowed, but likely a mistake: check-config says so

    def warn(self, key: str, message: str) -> None:
        self.warnings.append(f"{key}: {message}")

    def fail(self, key: str, message: str) -> None:
        """`groups[0].cadence: start and every …`: the key once, never again
        at the start of the message ("cadence: cadence: …")."""
        last = key.rsplit(".", 1)[-1].split("[", 1)[0]
        self.problems.append(f"{key}: {message.removeprefix(f'{last}: ')}")

    def unknown_keys(self, table: dict[str, Any], kind: str, prefix: str) -> None:
        for key in table:
            if key not in KNOWN_KEYS[kind]:
                where = f"{prefix}.{key}" if prefix else key
                self.fail(where, "unknown key (check the spelling in config.example.toml)")

    def string(self, table: dict, key: str, prefix: str, *, required: bool = True) -> str | None:
        value = table.get(key)
        if value is None:
            if required:
                self.fail(f"{prefix}.{key}", "missing (required)")
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail(f"{prefix}.{key}", "must be a non-empty string")
            return None
        return value.strip()

    def user_list(
        self, table: dict, key: str, prefix: str, network: str = MATRIX
    ) -> tuple[str, ...]:
        value = table.get(key, [])
        rule = PERSON_RULES[network][1]
        if not isinstance(value, list):
            self.fail(f"{prefix}.{key}", f"must be a list of people, each {rule}")
            return ()
        users = []
        for index, user in enumerate(value):
            person = person_id(user, network)
            if person is not None:
                users.append(person)
            else:
                self.fail(f"{prefix}.{key}[{index}]", f"{user!r} is not {rule}")
        return tuple(users)
