"""Action items as people type and read them: owners, due dates, one-line views.

Pure. `!action me, Bo Example draft the mapping report due next Friday`
names its owners first (who the words name is `bot.meeting.owners`'s rule;
plain names are kept as text, never dropped), then the task, then an
optional due date.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from bot.meeting.owners import MAX_NAME_WORDS, USER_RE, AmbiguousOwner, People
from bot.meeting.people import Names
from bot.meeting.render import escape

DUE_RE = re.compile(r"^(?P<task>.*\S)\s+due\s+(?P<due>\S.*)$", re.IGNORECASE | re.DOTALL)
BY_RE = re.compile(r"^(?P<task>.*\S)\s+by\s+(?P<due>\S.*)$", re.IGNORECASE | re.DOTALL)
# `postpone it by 2 weeks`, `cut costs by 12.5`, `raise it by 10%`: amounts,
# which a date parser would happily read as a day.
_AMOUNT = re.compile(
    r"^(?:\d+(?:[.,]\d+)?|an?|one|two|three|four|five|six|seven|eight|nine|ten|"
    r"eleven|twelve|half an?|a few|several)\s*"
    r"(?:%|percent|per cent|days?|weeks?|fortnights?|months?|years?|hours?|minutes?|times?)\b",
    re.IGNORECASE,
)
_YEAR = re.compile(r"\b\d{4}\b")
_DATE_ONLY = re.compile(r"^(?P<word>due|by)\s+(?P<when>\S.*)$", re.IGNORECASE | re.DOTALL)
MAX_OWNERS = 10
_TOKENS = re.compile(r"[^\s,]+|,")


@dataclass(frozen=True)
class ActionText:
    owners: tuple[str, ...]
    task: str
    due_text: str | None


def split_due(text: str) -> tuple[str, str | None]:
    """`draft the report due next Friday` -> ("draft the report", "next Friday").
    Only the last `due` counts; whether its words are a date the caller
    decides (`review what is due to WP2` has none)."""
    match = DUE_RE.match(text.strip())
    if match is None:
        return text.strip(), None
    return match["task"].strip(), match["due"].strip()


def split_by(task: str) -> tuple[str, str] | None:
    """`circulate the survey by 15 January` -> ("circulate the survey",
    "15 January"): a due date said the everyday way, after the last `by`.
    None when the task has no `by` with words after it; whether those words
    are a date (`by email` is none) the caller decides."""
    match = BY_RE.match(task.strip())
    return None if match is None else (match["task"].strip(), match["due"].strip())


def date_only(text: str) -> tuple[str, str] | None:
    """`due 22 January` (or `by 22 January`) with no text before it: what
    `!action edit 3 due 22 January` says, ("due", "22 January"); else None."""
    match = _DATE_ONLY.match(text.strip())
    return None if match is None else (match["word"].lower(), match["when"].strip())


def can_be_deadline(words: str) -> bool:
    """Whether the words after `by` can name a day at all: not an amount
    (`by 2 weeks`, `by a day`, `by 10%`), not bare figures without a year
    (`by 1.5`, `by 3/4`: a sum, or a date two ways), not `by now`."""
    words = words.strip()
    if _AMOUNT.match(words) or words.lower() == "now":
        return False
    return any(c.isalpha() for c in words) or _YEAR.search(words) is not None


def _next_owner(tokens: list[re.Match[str]], at: int, people: People) -> tuple[str, int]:
    """The owner at token `at`: the longest roster full name starting there
    (`Chris Chair`), else that one word; and where the rest begins."""
    for size in range(min(MAX_NAME_WORDS, len(tokens) - at - 1), 1, -1):
        words = [t[0] for t in tokens[at : at + size]]
        if "," not in words and (user := people.full_name(" ".join(words))):
            return user, at + size
    return people.owner(tokens[at][0]), at + 1


def _names_someone(tokens: list[re.Match[str]], at: int, people: People) -> bool:
    """Whether `and` at `at - 1` joins another owner (`me and Bo draft …`)."""
    try:
        owner, _ = _next_owner(tokens, at, people)
    except AmbiguousOwner:
        return True
    return people.on_roster(owner) or bool(USER_RE.match(owner))


def parse_action(text: str, people: People) -> ActionText:
    """Owners first (`me`, ids, roster names, joined by commas or `and`,
    ids also by spaces), then the task, then an optional trailing `due …`.
    Raises ValueError (AmbiguousOwner for a name two people answer to)."""
    tokens = list(_TOKENS.finditer(text))
    owners, at = [], 0
    while at < len(tokens) and tokens[at][0] != ",":
        owner, at = _next_owner(tokens, at, people)
        owners.append(owner)
        if at < len(tokens) and tokens[at][0] == ",":
            at += 1
        elif at < len(tokens) and USER_RE.match(tokens[at][0]):
            continue
        elif at + 1 < len(tokens) and tokens[at][0].casefold() == "and":
            if not _names_someone(tokens, at + 1, people):
                break
            at += 1
        else:
            break
    if not owners or len(tokens) < 2:
        raise ValueError("Say who and what, e.g. `!action me send the survey`.")
    if at >= len(tokens):
        raise ValueError("What is the task? Add it after the owners.")
    if len(owners) > MAX_OWNERS:
        raise ValueError(f"At most {MAX_OWNERS} owners per action.")
    task, due = split_due(text[tokens[at].start() :])
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
