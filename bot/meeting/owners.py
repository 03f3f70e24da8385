"""Who an owner's words name: `me`, an id, or a person on the roster by name.

Pure, and the one rule for `!action`, `!actions <who>` and an output's
`owner`. `me` is the sender; an id stays as it is; a roster person answers
to their full name, any one of its words or the name part of their id (any
case), and to a prefix of those, three letters or more, that nobody else
has. Anything else is kept as the plain name typed: the record keeps it,
but nobody can be reminded under it.
Two people who answer to the same words make it a question, never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.config import GroupConfig
from bot.meeting.people import Names
from bot.meeting.render import escape

# A Matrix id (@bo:example.org) or a Teams person's e-mail / UPN (bo@uni.example).
USER_RE = re.compile(r"^(@[^\s:,]+:[^\s,]+|[^\s@:,]+@[^\s@:,]+\.[^\s@:,]+)$")
MIN_PREFIX = 3
MAX_NAME_WORDS = 4


def local_part(user: str) -> str:
    """The name part of a person's id: `bo` for @bo:example.org and bo@uni.example."""
    return user[1:].split(":")[0] if user.startswith("@") else user.split("@")[0]


class AmbiguousOwner(ValueError):
    """The words fit more than one person on the roster."""


@dataclass(frozen=True)
class People:
    """The roster as owners' words can name it."""

    sender: str = ""
    # id -> the lower-cased names the person answers to
    answers_to: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # id -> the lower-cased full name, for those whose name is known
    full_names: Mapping[str, str] = field(default_factory=dict)
    shown: Names = field(default_factory=Names)

    @classmethod
    def of(cls, group: GroupConfig, names: Names | None = None, sender: str = "") -> People:
        names = names or Names()
        roster = dict.fromkeys(
            (*(m.user for m in group.members), *group.chairs, *group.vice_chairs, *group.names)
        )
        answers, full_names = {}, {}
        for user in roster:
            keys = [local_part(user)]
            if (full := names.of(user)) != user:
                full_names[user] = full.casefold()
                keys += [full, *full.split()]
            answers[user] = tuple(dict.fromkeys(k.casefold() for k in keys))
        return cls(sender, answers, full_names, names)

    def on_roster(self, owner: str) -> bool:
        return owner in self.answers_to

    def resolve(self, words: str) -> str | None:
        """The id the words name, or None when they name nobody on the roster."""
        text = " ".join(words.split()).rstrip(",")
        if text.casefold() == "me" and self.sender:
            return self.sender
        if USER_RE.match(text):
            return text if text.startswith("@") else text.lower()
        wanted = text.lstrip("@").casefold()
        exact = [u for u, keys in self.answers_to.items() if wanted in keys]
        if exact or len(wanted) < MIN_PREFIX:
            return self._one(text, exact)
        starting = [
            u for u, keys in self.answers_to.items() if any(k.startswith(wanted) for k in keys)
        ]
        return self._one(text, starting)

    def full_name(self, words: str) -> str | None:
        """The id whose full name is exactly these words (any case)."""
        wanted = " ".join(words.split()).casefold()
        found = [u for u, full in self.full_names.items() if full == wanted]
        return self._one(words, found)

    def _one(self, typed: str, users: list[str]) -> str | None:
        if len(users) > 1:
            who = " or ".join(escape(self.shown.of(u)) for u in users)
            raise AmbiguousOwner(
                f"“{escape(typed)}” could be {who}: say which, with the full name or the id."
            )
        return users[0] if users else None

    def owner(self, words: str) -> str:
        """What the record stores for these words: an id, or the words."""
        return self.resolve(words) or " ".join(words.split()).rstrip(",")


def not_on_roster(owners: tuple[str, ...], people: People) -> tuple[str, ...]:
    """Owners kept as typed names (no id): nobody gets their reminders."""
    return tuple(o for o in owners if not people.on_roster(o) and not USER_RE.match(o))
