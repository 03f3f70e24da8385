"""The group's outputs (position papers, guidelines, …) on their way to adoption.

The terms of reference send each output through consultation with the Forum
Board and review by the General Forum before it is adopted; the bot records
where each one is and every step it took, with who and when, because the
yearly report to WP2 is built from that history. Pure: parsing what a member
typed, the one rule for moving an output (`check_move`), the sentence a move
gets and the lines agendas and minutes show.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol, TypeVar

from bot.meeting.actions import due_text
from bot.meeting.owners import AmbiguousOwner, People
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
ORDER = STATUSES[:-1]  # the way forward; `dropped` stands outside it
# Where an output stands, in the words of the terms of reference: the Forum
# Board is consulted, then the General Forum reviews and adopts.
STATUS_WORDS = {
    "planned": "planned",
    "drafting": "in drafting",
    "consultation": "with the Forum Board for consultation",
    "review": "in review by the General Forum",
    "adopted": "adopted by the General Forum",
    "published": "published",
    "dropped": "dropped",
}
_REACHED = {
    "planned": "is planned",
    "drafting": "is now in drafting",
    "consultation": "is now with the Forum Board for consultation",
    "review": "is now in review by the General Forum",
    "adopted": "was adopted by the General Forum",
    "published": "is published",
    "dropped": "was dropped",
}
_BACK = {
    "planned": "is back to planned",
    "drafting": "is back in drafting",
    "consultation": "is back with the Forum Board for consultation",
    "review": "is back in review by the General Forum",
    "adopted": "is back to adopted, no longer published",
}
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
    @property
    def created_by(self) -> str: ...


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


def _looks_like_owner(value: str, people: People) -> bool:
    """An id, a roster person's name, or one plain name (`Maria`)."""
    if len(value) > MAX_OWNER_CHARS:
        return False
    try:
        return people.resolve(value) is not None or len(value.split()) == 1
    except AmbiguousOwner:
        return True


def parse_add(text: str, people: People) -> OutputDraft:
    """`position-paper Micro-credentials in ULLL due 30 June owner @anna:x`:
    the kind first, then the title; `due …` and `owner …` at the end, in
    either order. Whoever adds an output owns it unless `owner` names
    someone else (`owner me` is the sender too), so they may move it on.
    Raises ValueError saying what to fix."""
    kind, _, rest = text.strip().partition(" ")
    kind = kind.lower()
    if kind not in KINDS:
        raise ValueError(f"Unknown kind `{escape(kind)}`; use one of: {', '.join(KINDS)}.")
    clauses: dict[str, str] = {}
    rest = rest.strip()
    while (clause := _last_clause(rest)) is not None and clause[1] not in clauses:
        if clause[1] == "owner" and not _looks_like_owner(clause[2], people):
            break  # "Role of the data owner in ULLL": part of the title
        rest, word, value = clause
        clauses[word] = value
    if not rest:
        raise ValueError("Give the output's title after its kind.")
    if len(rest) > MAX_TITLE_CHARS:
        raise ValueError(f"Titles are at most {MAX_TITLE_CHARS} characters.")
    owner = people.owner(clauses.get("owner", "me"))
    return OutputDraft(kind, one_line(rest), clauses.get("due"), owner)


def check_status(status: str) -> str:
    """A status as typed, in any case, or ValueError listing the right ones."""
    status = status.lower()
    if status not in STATUSES:
        raise ValueError(f"Unknown status `{escape(status)}`; use one of: {', '.join(STATUSES)}.")
    return status


def kind_text(kind: str) -> str:
    """An output's kind in words: `position-paper` -> `position paper`."""
    return kind.replace("-", " ")


def status_text(status: str) -> str:
    """Where an output stands, in words (`with the Forum Board for
    consultation`): listings, agendas and minutes say it the same way."""
    return STATUS_WORDS[status]


def owner_of(output: OutputView) -> str:
    """The output's owner; outputs stored before the adder became the owner
    have none, and then whoever added it owns it."""
    return output.owner or output.created_by


@dataclass(frozen=True)
class Mover:
    """Who asks to change an output, in the terms the rules need (the
    router's roles live above this pure module)."""

    chair: bool
    vice_chair: bool  # a chair or a vice-chair
    owner: bool

    @property
    def may_edit(self) -> bool:
        """Moving on and attaching the link: the owner, chairs, vice-chairs."""
        return self.owner or self.vice_chair


@dataclass(frozen=True)
class Move:
    """A status change the rules allow: `way` is `same` (nothing to do),
    `forward`, `back`, `drop` or `revive`."""

    number: int
    current: str
    wanted: str
    way: str


class NotAllowed(ValueError):
    """The move is well formed, but not this person's to make."""


def check_move(number: int, current: str, wanted: str, note: str, mover: Mover) -> Move:
    """The one rule for a new status. Forward along `ORDER` by any number
    of steps: the owner, chairs, vice-chairs. Back: chairs and vice-chairs
    only, with a note saying why, so the record explains the step. Dropping
    and taking up again: chairs only. Raises ValueError with the reason."""
    if wanted == current:
        return Move(number, current, wanted, "same")
    if "dropped" in (current, wanted):
        if not mover.chair:
            raise NotAllowed("Only chairs drop an output, or take one up again.")
        return Move(number, current, wanted, "drop" if wanted == "dropped" else "revive")
    if ORDER.index(wanted) > ORDER.index(current):
        if not mover.may_edit:
            raise NotAllowed(
                f"Only the owner of output #{number}, the chairs or vice-chairs move it on."
            )
        return Move(number, current, wanted, "forward")
    if not mover.vice_chair:
        raise NotAllowed(
            f"Output #{number} is {STATUS_WORDS[current]}; only chairs and vice-chairs "
            "move an output back."
        )
    if not note:
        raise ValueError(
            f"Moving #{number} back from {current} to {wanted} needs a note saying why, "
            f"e.g. `!output {number} {wanted} back for rework`."
        )
    return Move(number, current, wanted, "back")


def _full_stop(text: str) -> str:
    """A note may end in its own full stop; never two."""
    return text if text.endswith((".", "!", "?", "…")) else f"{text}."


def status_sentence(move: Move, note: str) -> str:
    """What a move did, in one sentence: `#3 is now with the Forum Board for
    consultation.`, `#3 was adopted by the General Forum.`, `#3 is back in
    drafting: <note>.`; a note of a forward move follows as its own sentence."""
    n, wanted = move.number, move.wanted
    if move.way == "same":
        return f"#{n} is already {STATUS_WORDS[wanted]}."
    if move.way == "back":
        return _full_stop(f"#{n} {_BACK[wanted]}: {escape(note)}")
    said = (
        f"#{n} is taken up again, now {STATUS_WORDS[wanted]}."
        if move.way == "revive"
        else f"#{n} {_REACHED[wanted]}."
    )
    return f"{said} Note: {_full_stop(escape(note))}" if note else said


def output_line(output: OutputView, names: Names, today: date) -> str:
    """`#3 position paper "…" (Anna Svensson): in drafting, due Fri 3 Jul 2026`."""
    owner = f" ({escape(names.of(owner_of(output)))})"
    due = f", {due_text(output.due, today)}" if output.due and output.status not in FINISHED else ""
    link = f", {escape(output.link)}" if output.link else ""
    kind = kind_text(output.kind)
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
    """A step in the minutes: `position paper “…”: with the Forum Board for
    consultation (Anna Svensson, 12 Mar): sent on Monday`."""
    detail = f": {escape(note)}" if note and note != "added" else ""
    what = "added" if note == "added" else status_text(status)
    return (
        f"{kind_text(kind)} “{escape(title)}”: {what} ({escape(who)}, {when.day} {when:%b}){detail}"
    )
