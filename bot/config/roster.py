"""The people of a group: the roster (who represents which alliance) and the
names texts show for them, validated like the rest of the config."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from bot.config.problems import EMAIL_RE, MATRIX, PERSON_RULES, Checker, person_id

MAX_NAME_CHARS = 100


@dataclass(frozen=True)
class Member:
    user: str
    alliance: str
    name: str | None = None  # how texts show the person; else their display name
    email: str | None = None  # where personal mails go; a Teams id is already one

    @property
    def mail_address(self) -> str | None:
        """Where this person's personal mails go: their `email`, else their id
        when it is an address (Teams people are named by e-mail or UPN)."""
        if self.email:
            return self.email
        return self.user if EMAIL_RE.match(self.user) else None


def _parse_name(value: Any, key: str, check: Checker) -> str | None:
    if not isinstance(value, str) or not value.strip():
        check.fail(key, "must be a non-empty string (the person's name)")
        return None
    if len(value) > MAX_NAME_CHARS or "\n" in value:
        check.fail(key, f"must be one line of at most {MAX_NAME_CHARS} characters")
        return None
    return value.strip()


def parse_names(value: Any, key: str, check: Checker, network: str = MATRIX) -> dict[str, str]:
    """`"@chair:example.org" = "First Last"` for people not on the roster."""
    rule = PERSON_RULES[network][1]
    if not isinstance(value, dict):
        check.fail(key, f'must be a table of "person" = "First Last", each person {rule}')
        return {}
    names: dict[str, str] = {}
    for user, name in value.items():
        person = person_id(user, network)
        if person is None:
            check.fail(f"{key}.{user}", f"{user!r} is not {rule}")
            continue
        parsed = _parse_name(name, f"{key}.{user}", check)
        if parsed:
            names[person] = parsed
    return names


def parse_members(
    value: Any,
    prefix: str,
    check: Checker,
    *,
    alliance_required: bool = True,
    network: str = MATRIX,
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
        person = person_id(user, network) if user else None
        alliance = check.string(table, "alliance", where, required=alliance_required)
        if not alliance_required and "alliance" not in table:
            alliance = ""
        name = _parse_name(table["name"], f"{where}.name", check) if "name" in table else None
        email = _parse_email(table, where, check)
        if user and person is None:
            check.fail(f"{where}.user", f"{user!r} is not {PERSON_RULES[network][1]}")
        elif person in seen:
            check.fail(f"{where}.user", f"{person} is listed twice")
        elif person and alliance is not None:
            seen.add(person)
            members.append(Member(person, alliance, name, email))
    return tuple(members)


def _parse_email(table: dict, where: str, check: Checker) -> str | None:
    if "email" not in table:
        return None
    value = table["email"]
    address = value.strip().lower() if isinstance(value, str) else None
    if address is None or not EMAIL_RE.match(address):
        check.fail(f"{where}.email", f"{value!r} is not an e-mail address like name@uni.example")
        return None
    return address


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
            resolved.append(replace(member, alliance=alliances[member.user]))
        else:
            check.fail(
                f"{prefix}.members[{index}].alliance",
                f"missing, and {member.user} is not on the parent group's roster",
            )
    return tuple(resolved)
