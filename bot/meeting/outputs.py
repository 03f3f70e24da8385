"""The group's outputs (position papers, guidelines, …) on their way to adoption.

The terms of reference send each output through consultation with the Forum
Board and review by the General Forum before it is adopted; the bot records
where each one is and every step it took, with who and when, because the
yearly report to WP2 is built from that history. Pure: parsing what a member
typed and the lines agendas and minutes show.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol, TypeVar

from bot.config import GroupConfig
from bot.meeting.actions import due_text, resolve_owner
from bot.meeting.people import Names
from bot.meeting.render import escape

KINDS = (
    "position-paper",
    "guideline",
    "best-practice",
    "case-study",
    "report",
    "workshop",
    "application",
    "other",
)
STATUSES = ("planned", "drafting", "consultation", "review", "adopted", "published", "dropped")
STATUS_MEANING = {"consultation": "with the Forum Board", "review": "by the General Forum"}
FINISHED = ("adopted", "published", "dropped")
WAITING = ("consultation", "review")  # on every agenda until decided
MAX_TITLE_CHARS = 300
MAX_OWNER_CHARS = 100
_CLAUSE_WORD = re.compile(r"\s+(due|owner)\s+", re.IGNORECASE)


@dataclass(frozen=True)
class OutputDraft:
    """What `!output add` asked for; the due date is still text to parse."""

    kind: str
    title: str
    due_text: str | None
    owner: str | None


class OutputView(Protocol):
    """What the lines read of an output (storage's `StoredOutput` has these
    fields), so this module does not depend on storage."""

    @property
    def id(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def due(self) -> date | None: ...
    @property
    def owner(self) -> str | None: ...
    @property
    def link(self) -> str | None: ...


OutputT = TypeVar("OutputT", bound=OutputView)


def _last_clause(text: str) -> tuple[str, str, str] | None:
    """(text before, clause word, value) of the last `due …` / `owner …`."""
    found = list(_CLAUSE_WORD.finditer(text))
    if not found:
        return None
    last = found[-1]
    value = text[last.end() :].strip()
    return (text[: last.start()].strip(), last[1].lower(), value) if value else None


def one_line(text: str) -> str:
    """Titles and notes are list items: line breaks would break the list."""
    return " ".join(text.split())


def _looks_like_owner(value: str, group: GroupConfig) -> bool:
    """A Matrix id, a roster member's name, or one plain name (`Maria`)."""
    return len(value) <= MAX_OWNER_CHARS and (
        resolve_owner(value, group) != value or len(value.split()) == 1
    )


def parse_add(text: str, group: GroupConfig) -> OutputDraft:
    """`position-paper Micro-credentials in ULLL due 30 June owner @anna:x`:
    the kind first, then the title; `due …` and `owner …` at the end, in
    either order. Raises ValueError saying what to fix."""
    kind, _, rest = text.strip().partition(" ")
    kind = kind.lower()
    if kind not in KINDS:
        raise ValueError(f"Unknown kind `{escape(kind)}`; use one of: {', '.join(KINDS)}.")
    clauses: dict[str, str] = {}
    rest = rest.strip()
    while (clause := _last_clause(rest)) is not None and clause[1] not in clauses:
        if clause[1] == "owner" and not _looks_like_owner(clause[2], group):
            break  # "Role of the data owner in ULLL": part of the title
        rest, word, value = clause
        clauses[word] = value
    if not rest:
        raise ValueError("Give the output's title after its kind.")
    if len(rest) > MAX_TITLE_CHARS:
        raise ValueError(f"Titles are at most {MAX_TITLE_CHARS} characters.")
    owner = clauses.get("owner")
    resolved = resolve_owner(owner, group) if owner else None
    return OutputDraft(kind, one_line(rest), clauses.get("due"), resolved)


def check_status(status: str) -> str:
    status = status.lower()
    if status not in STATUSES:
        raise ValueError(f"Unknown status `{escape(status)}`; use one of: {', '.join(STATUSES)}.")
    return status


def status_text(status: str) -> str:
    meaning = STATUS_MEANING.get(status)
    return f"{status} {meaning}" if meaning else status


def output_line(output: OutputView, names: Names, today: date) -> str:
    """`#3 position paper "…" (Anna Svensson): drafting, due Fri 3 Jul 2026`."""
    owner = f" ({escape(names.of(output.owner))})" if output.owner else ""
    due = f", {due_text(output.due, today)}" if output.due and output.status not in FINISHED else ""
    link = f", {escape(output.link)}" if output.link else ""
    kind = output.kind.replace("-", " ")
    title = escape(output.title)
    return f"#{output.id} {kind} “{title}”{owner}: {status_text(output.status)}{due}{link}"


def for_agenda(outputs: Sequence[OutputT], before: date) -> list[OutputT]:
    """Outputs the next meeting should hear about: due by then, or waiting
    for the Forum Board or the General Forum."""
    return [
        o
        for o in outputs
        if o.status in WAITING
        or (o.status not in FINISHED and o.due is not None and o.due <= before)
    ]


def change_line(title: str, kind: str, status: str, note: str, who: str, when: date) -> str:
    """A step in the minutes: `position paper “…”: consultation with the Forum
    Board (Anna Svensson, 12 Mar): sent on Monday`."""
    detail = f": {escape(note)}" if note and note != "added" else ""
    what = "added" if note == "added" else status_text(status)
    kind_text = kind.replace("-", " ")
    return f"{kind_text} “{escape(title)}”: {what} ({escape(who)}, {when.day} {when:%b}){detail}"
