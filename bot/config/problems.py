"""Collects config problems, each naming its key, so all are reported at once."""

from __future__ import annotations

import re
from typing import Any

USER_ID_RE = re.compile(r"^@[a-z0-9._=\-/+]+:[A-Za-z0-9.\-:\[\]]+$")


KNOWN_KEYS = {
    "": {"matrix", "storage", "groups", "privacy", "ops"},
    "ops": {"listen"},
    "privacy": {"contact", "notice", "retention"},
    "matrix": {"homeserver", "user_id", "password", "access_token", "device_name", "trust"},
    "storage": {"url", "data_dir"},
    "group": {
        "id",
        "name",
        "room",
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
    },
    "cadence": {"dates", "start", "every", "duration", "breaks", "until"},
    "announce": {"agenda_before", "reminders", "chase_updates", "grace"},
    "member": {"user", "alliance", "name"},
}


class Checker:
    """Collects problems while reading typed values out of raw TOML tables."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, key: str, message: str) -> None:
        self.problems.append(f"{key}: {message}")

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

    def user_list(self, table: dict, key: str, prefix: str) -> tuple[str, ...]:
        value = table.get(key, [])
        if not isinstance(value, list):
            self.fail(f"{prefix}.{key}", "must be a list of Matrix user IDs")
            return ()
        users = []
        for index, user in enumerate(value):
            if isinstance(user, str) and USER_ID_RE.match(user):
                users.append(user)
            else:
                self.fail(
                    f"{prefix}.{key}[{index}]",
                    f"{user!r} is not a Matrix user ID like @name:server",
                )
        return tuple(users)
