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


def parse_members(
    value: Any, prefix: str, check: Checker, *, alliance_required: bool = True
) -> tuple[Member, ...]:
    """The roster. In a sub-group an entry may leave `alliance` out (it is then
    "" here and taken from the parent's roster by `inherit`)."""
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
        alliance = check.string(table, "alliance", where, required=alliance_required)
        if not alliance_required and "alliance" not in table:
            alliance = ""
        name = _parse_name(table["name"], f"{where}.name", check) if "name" in table else None
        if user and not USER_ID_RE.match(user):
            check.fail(f"{where}.user", f"{user!r} is not a Matrix user ID like @name:server")
        elif user in seen:
            check.fail(f"{where}.user", f"{user} is listed twice")
        elif user and alliance is not None:
            seen.add(user)
            members.append(Member(user, alliance, name))
    return tuple(members)


def inherit(
    members: tuple[Member, ...], parent: tuple[Member, ...], prefix: str, check: Checker
) -> tuple[Member, ...]:
    """A sub-group's roster: its own, alliances filled in from the parent's
    roster; no roster of its own means the parent's."""
    if not members:
        return parent
    alliances = {m.user: m.alliance for m in parent}
    resolved = []
    for index, member in enumerate(members):
        if member.alliance:
            resolved.append(member)
        elif member.user in alliances:
            resolved.append(Member(member.user, alliances[member.user], member.name))
        else:
            check.fail(
                f"{prefix}.members[{index}].alliance",
                f"missing, and {member.user} is not on the parent group's roster",
            )
    return tuple(resolved)
