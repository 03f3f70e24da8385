"""How texts show people: by name, not by their network id.

Agendas, minutes, `!updates` and `!actions` name people as the group knows
them: the config's name for them (`name` on the roster, `[groups.names]`),
else the display name the chat network reported, else the id as it is. Ids
stay where the network needs them (mentions). A display name is chosen by
its owner, so it is data like any member text: cleaned here to one short
line, and escaped wherever it is rendered.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.config import GroupConfig

MAX_DISPLAY_NAME_CHARS = 64
# What stands for a person who was erased or aged out (`bot.runtime.privacy`):
# `former-member:<random>[:<alliance>]`, one token per person, so counts of
# people and alliances stay right; texts show it as FORMER_MEMBER (EUGLOH).
FORMER_PREFIX = "former-member:"
FORMER_MEMBER = "a former member"
_SPACES = re.compile(r"\s+")


def clean_display_name(raw: str | None) -> str | None:
    """One line, no control or format characters (no bidi overrides), at
    most 64 characters; None when nothing printable is left."""
    if not raw:
        return None
    kept = "".join(" " if unicodedata.category(c)[0] in "CZ" else c for c in raw)
    text = _SPACES.sub(" ", kept).strip()
    if len(text) > MAX_DISPLAY_NAME_CHARS:
        text = text[: MAX_DISPLAY_NAME_CHARS - 1].rstrip() + "…"
    return text or None


@dataclass(frozen=True)
class Names:
    """Person (an id, or a plain name a chair typed) -> how texts show them."""

    known: Mapping[str, str] = field(default_factory=dict)

    def of(self, person: str) -> str:
        if person.startswith(FORMER_PREFIX):
            alliance = former_alliance(person)
            return f"{FORMER_MEMBER} ({alliance})" if alliance else FORMER_MEMBER
        return self.known.get(person, person)

    def all_of(self, people: tuple[str, ...] | list[str]) -> tuple[str, ...]:
        return tuple(self.of(person) for person in people)


def names_for(group: GroupConfig, display_names: Mapping[str, str]) -> Names:
    """The config's names win over display names (a chair's spelling of a
    colleague's name is the one the group's record should use). A display
    name anyone can choose: one that is also someone else's name gets the id
    added, as Matrix clients do, so nobody can pass for a colleague."""
    configured = {**group.names, **{m.user: m.name for m in group.members if m.name}}
    network = {
        user: name
        for user, raw in display_names.items()
        if user not in configured and (name := clean_display_name(raw))
    }
    owners: dict[str, set[str]] = {}
    for user, name in (*configured.items(), *network.items()):
        owners.setdefault(name.casefold(), set()).add(user)
    known = dict(configured)
    for user, name in network.items():
        known[user] = f"{name} ({user})" if len(owners[name.casefold()]) > 1 else name
    return Names(known)


def represented(group: GroupConfig, person: str) -> str | None:
    """The alliance a person stands for in the record: the roster's, or the
    one an anonymous stand-in kept, so erasure and retention change no count."""
    return group.alliance_of(person) or former_alliance(person)


def former_alliance(person: str) -> str | None:
    """The alliance an anonymous stand-in keeps."""
    if not person.startswith(FORMER_PREFIX):
        return None
    parts = person[len(FORMER_PREFIX) :].split(":", 1)
    return parts[1] if len(parts) == 2 and parts[1] else None
