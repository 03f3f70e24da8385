"""The people of a group: the roster (who represents which alliance) and the
names texts show for them, validated like the rest of the config."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.config.problems import USER_ID_RE, Checker

MAX_NAME_CHARS = 100


@dataclass(frozen=True)
class Member:
    user: str
    alliance: str
    name: str | None = None  # how texts show the person; else their display name


def _parse_name(value: Any, key: str, check: Checker) -> str | None:
    if not isinstance(value, str) or not value.strip():
        check.fail(key, "must be a non-empty string (the person's name)")
        return None
    if len(value) > MAX_NAME_CHARS or "\n" in value:
        check.fail(key, f"must be one line of at most {MAX_NAME_CHARS} characters")
        return None
    return value.strip()


def parse_names(value: Any, key: str, check: Checker) -> dict[str, str]:
    """`"@chair:example.org" = "First Last"` for people not on the roster."""
    if not isinstance(value, dict):
        check.fail(key, 'must be a table of "@user:server" = "First Last"')
        return {}
    names: dict[str, str] = {}
    for user, name in value.items():
        if not USER_ID_RE.match(user):
            check.fail(f"{key}.{user}", f"{user!r} is not a Matrix user ID like @name:server")
            continue
        parsed = _parse_name(name, f"{key}.{user}", check)
        if parsed:
            names[user] = parsed
    return names


def parse_members(value: Any, prefix: str, check: Checker) -> tuple[Member, ...]:
    if not isinstance(value, list):
        check.fail(f"{prefix}.members", "must be a list of [[groups.members]] tables")
        return ()
    members = []
    seen: set[str] = set()
    for index, table in enumerate(value):
        where = f"{prefix}.members[{index}]"
        if not isinstance(table, dict):
            check.fail(where, "must be a table with user and alliance")
            continue
        check.unknown_keys(table, "member", where)
        user = check.string(table, "user", where)
        alliance = check.string(table, "alliance", where)
        name = _parse_name(table["name"], f"{where}.name", check) if "name" in table else None
        if user and not USER_ID_RE.match(user):
            check.fail(f"{where}.user", f"{user!r} is not a Matrix user ID like @name:server")
        elif user in seen:
            check.fail(f"{where}.user", f"{user} is listed twice")
        elif user and alliance:
            seen.add(user)
            members.append(Member(user, alliance, name))
    return tuple(members)
