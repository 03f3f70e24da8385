"""Action items as people type and read them: owners, due dates, one-line views.

Pure. `!action @bo:example.org,maria draft the mapping report due next Friday`
names its owners first (Matrix ids, roster members by their name, or plain
names kept as text, never dropped), then the task, then an optional due date.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from bot.config import GroupConfig
from bot.meeting.people import Names
from bot.meeting.render import escape

DUE_RE = re.compile(r"^(?P<task>.*\S)\s+due\s+(?P<due>\S.*)$", re.IGNORECASE | re.DOTALL)
# A Matrix id (@bo:example.org) or a Teams person's e-mail / UPN (bo@uni.example).
USER_RE = re.compile(r"^(@[^\s:,]+:[^\s,]+|[^\s@:,]+@[^\s@:,]+\.[^\s@:,]+)$")


def local_part(user: str) -> str:
    """The name part of a person's id: `bo` for @bo:example.org and bo@uni.example."""
    return user[1:].split(":")[0] if user.startswith("@") else user.split("@")[0]


MAX_OWNERS = 10


@dataclass(frozen=True)
class ActionText:
    owners: tuple[str, ...]
    task: str
    due_text: str | None


def split_due(text: str) -> tuple[str, str | None]:
    """`draft the report due next Friday` -> ("draft the report", "next Friday")."""
    match = DUE_RE.match(text.strip())
    if match is None:
        return text.strip(), None
    return match["task"].strip(), match["due"].strip()


def resolve_owner(name: str, group: GroupConfig) -> str:
    """A person's id stays as it is (an e-mail lower-cased, as the roster has
    it); a roster member's name (the id's local part, with or without @)
    becomes their id; anything else stays plain text."""
    if USER_RE.match(name):
        return name if name.startswith("@") else name.lower()
    wanted = name.lstrip("@").lower()
    for member in group.members:
        if local_part(member.user).lower() == wanted:
            return member.user
    return name


def parse_action(text: str, group: GroupConfig) -> ActionText:
    """Owners are the first word (comma-separated names) plus any Matrix ids
    right after it; the rest is the task, with an optional `due …` at the end."""
    words = list(re.finditer(r"\S+", text))
    if len(words) < 2:
        raise ValueError("Say who and what, e.g. `!action @bo:example.org send the survey`.")
    owners = [resolve_owner(n, group) for n in words[0][0].split(",") if n.strip()]
    first_task_word = 1
    while first_task_word < len(words) and USER_RE.match(words[first_task_word][0].rstrip(",")):
        owners.append(resolve_owner(words[first_task_word][0].rstrip(","), group))
        first_task_word += 1
    if first_task_word == len(words):
        raise ValueError("What is the task? Add it after the owners.")
    if len(owners) > MAX_OWNERS:
        raise ValueError(f"At most {MAX_OWNERS} owners per action.")
    task, due = split_due(text[words[first_task_word].start() :])
    return ActionText(tuple(dict.fromkeys(owners)), task, due)


def owners_text(owners: Iterable[str], names: Names | None = None) -> str:
    """Owners as inert text, by name where known: never turned into pings."""
    names = names or Names()
    return ", ".join(escape(names.of(owner)) for owner in owners)


def due_text(due: date | None, today: date) -> str:
    if due is None:
        return "no due date"
    overdue = " **(overdue)**" if due < today else ""
    return f"due {due:%a} {due.day} {due:%b %Y}{overdue}"


def action_line(
    action_id: int,
    owners: Sequence[str],
    task: str,
    due: date | None,
    today: date,
    status: str = "open",
    *,
    names: Names | None = None,
) -> str:
    closed = "" if status == "open" else f" ({status})"
    who = owners_text(owners, names)
    return f"#{action_id} {who}: {escape(task)}, {due_text(due, today)}{closed}"
