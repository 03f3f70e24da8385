"""Meeting minutes: one Markdown document compiled from what a meeting recorded.

Why pure: the same minutes are posted in the room, uploaded as a file and
checked against golden files in tests, so they must depend on nothing but
their input (no clock, no database). Why one Markdown source: the HTML and
the plain body are both derived from it by `bot.meeting.render`, so they cannot drift.

Member text is data. Every string that came from a member (names, alliances,
updates, notes, tasks, agenda items) goes through `escape` exactly once, here,
so nothing typed in the room becomes a link, heading, list or HTML, and
`@room` never pings. People are shown by name (`bot.meeting.people`, resolved
by the caller), else by id, in plain text, never as matrix.to pills:
circulating minutes must not notify anyone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from bot.calendar.cadence import KEY_FORMAT, Meeting
from bot.meeting.agenda import AgendaLine, describe_meeting
from bot.meeting.render import escape

GUESTS = "Guests"
HARD_BREAK = "  \n"
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9_-]+")


@dataclass(frozen=True)
class Person:
    """Someone present or excused, as the minutes show them: their name, or a
    Matrix id or a name a chair typed when no name is known."""

    user: str
    alliance: str | None = None
    who: str = ""  # the stored id: two people shown alike are still two


@dataclass(frozen=True)
class Note:
    """A `!topic`, `!info` or `!decision` recorded live, in order."""

    kind: Literal["topic", "info", "decision"]
    text: str
    author: str


@dataclass(frozen=True)
class ActionView:
    id: int
    text: str
    owners: tuple[str, ...]
    due: date | None
    status: Literal["open", "done", "dropped"]
    created_in: str  # meeting key where it was created
    overdue: bool = False


@dataclass(frozen=True)
class UpdateView:
    alliance: str
    sender: str
    text: str


@dataclass(frozen=True)
class MinutesData:
    """Everything the minutes show. `agenda` items are raw member text, or
    `AgendaLine`s from `bot.meeting.agenda.agenda_lines` (already escaped), so the
    minutes can number the agenda exactly as it was posted."""

    group_name: str
    meeting: Meeting
    chairs: tuple[str, ...]
    present: tuple[Person, ...]
    apologies: tuple[tuple[Person, str], ...]
    agenda: tuple[str | AgendaLine, ...]
    updates: tuple[UpdateView, ...]
    notes: tuple[Note, ...]
    new_actions: tuple[ActionView, ...]
    carried_actions: tuple[ActionView, ...]
    next_meeting: Meeting | None
    live: bool = True
    # steps of the group's outputs during or since the last meeting, as lines
    # already escaped by `bot.meeting.outputs.change_line`
    output_changes: tuple[str, ...] = ()


def compile_minutes(data: MinutesData) -> str:
    """The minutes as Markdown, sections in the order a chair circulates them.
    Empty sections stay, with one short line, so readers see that nothing
    was recorded rather than wondering whether something was lost (outputs,
    which not every group records, only when one moved)."""
    sections = [
        _header(data),
        _present(data.present),
        _apologies(data.apologies),
        _agenda(data.agenda),
        _updates(data.updates),
        _notes(data.notes),
        _decisions(data.notes),
        *_outputs(data.output_changes),
        _actions(data.new_actions, data.carried_actions),
        _section("Next meeting", _next(data.next_meeting)),
    ]
    return "\n\n".join(sections) + "\n"


def minutes_filename(group_id: str, meeting: Meeting) -> str:
    """`allies-minutes-2026-04-03.md`: the local date the meeting took place
    (a moved meeting is filed under its new date), safe as a file name."""
    slug = _UNSAFE_FILENAME.sub("-", group_id).strip("-") or "group"
    return f"{slug}-minutes-{meeting.start:%Y-%m-%d}.md"


def _inline(text: str) -> str:
    """One line of member text (a name, an alliance, a title): whitespace
    collapsed so a newline cannot start a new Markdown block, then escaped."""
    return escape(" ".join(text.split()))


def _multiline(text: str, indent: str) -> str:
    """Member text keeping its line breaks as Markdown hard breaks, indented
    to stay inside the list item; blank lines are dropped because they would
    end the item."""
    lines = [line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return (HARD_BREAK + indent).join(escape(line) for line in lines if line)


def _count(number: int, singular: str, plural: str) -> str:
    return f"{number} {singular if number == 1 else plural}"


def _section(title: str, body: str) -> str:
    return f"## {title}\n\n{body}"


def _local_day(day: date) -> str:
    """`Fri 3 Apr 2026`: dates of actions are local dates, no time, no zone."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def _header(data: MinutesData) -> str:
    title = f"# Minutes: {_inline(data.group_name)} meeting, {describe_meeting(data.meeting)}"
    chairs = ", ".join(_inline(chair) for chair in data.chairs)
    label = "Chairs" if len(data.chairs) > 1 else "Chair"
    parts = [title, f"{label}: {chairs}" if chairs else "Chair: not recorded."]
    if not data.live:
        parts.append("_Compiled from what was recorded for this meeting (no live session)._")
    return "\n\n".join(parts)


def _by_alliance(people: Iterable[Person]) -> dict[str | None, list[Person]]:
    """People grouped by alliance, alliances alphabetically, guests (no
    alliance) last; each person once, in the order they were recorded."""
    groups: dict[str | None, list[Person]] = {}
    seen: set[str] = set()
    for person in people:
        if (key := person.who or person.user) not in seen:
            seen.add(key)
            alliance = " ".join((person.alliance or "").split()) or None
            groups.setdefault(alliance, []).append(person)
    order = sorted(groups, key=lambda name: (name is None, (name or "").casefold(), name or ""))
    return {name: groups[name] for name in order}


def _present(present: Sequence[Person]) -> str:
    groups = _by_alliance(present)
    if not groups:
        return _section("Present", "No attendance was recorded.")
    people = sum(len(members) for members in groups.values())
    guests = len(groups.get(None, []))
    alliances = _count(len(groups) - (1 if guests else 0), "alliance", "alliances")
    of_whom = f" ({_count(guests, 'guest', 'guests')})" if guests else ""
    lines = [f"{alliances} represented; {_count(people, 'person', 'people')}{of_whom}.", ""]
    for name, members in groups.items():
        label = GUESTS if name is None else _inline(name)
        lines.append(f"- **{label}**: {', '.join(_inline(p.user) for p in members)}")
    return _section("Present", "\n".join(lines))


def _apologies(apologies: Sequence[tuple[Person, str]]) -> str:
    if not apologies:
        return _section("Apologies", "No apologies.")
    lines = []
    for person, text in apologies:
        alliance = f" ({_inline(person.alliance)})" if (person.alliance or "").strip() else ""
        reason = _multiline(text, "  ")
        lines.append(f"- {_inline(person.user)}{alliance}{': ' + reason if reason else ''}")
    return _section("Apologies", "\n".join(lines))


def _agenda(agenda: Sequence[str | AgendaLine]) -> str:
    if not agenda:
        return _section("Agenda", "No agenda was posted.")
    texts = [
        " ".join(item.text.split()) if isinstance(item, AgendaLine) else _inline(item)
        for item in agenda
    ]
    return _section("Agenda", "\n".join(f"{n}. {text}" for n, text in enumerate(texts, 1)))


def _updates(updates: Sequence[UpdateView]) -> str:
    """Updates under their alliance, alliances alphabetically, each alliance's
    updates in the order they arrived."""
    if not updates:
        return _section("Member updates", "No updates were received.")
    groups: dict[str, list[UpdateView]] = {}
    for update in updates:
        groups.setdefault(" ".join(update.alliance.split()), []).append(update)
    parts = []
    for name in sorted(groups, key=lambda n: (n.casefold(), n)):
        lines = [f"- {_inline(u.sender)}: {_multiline(u.text, '  ')}" for u in groups[name]]
        parts.append(f"### {escape(name) or 'No alliance'}\n\n" + "\n".join(lines))
    return _section("Member updates", "\n\n".join(parts))


def _notes(notes: Sequence[Note]) -> str:
    """Notes under the topic they were recorded in; notes taken before the
    first `!topic` go under "General". Authors are not shown: minutes record
    what the meeting said, not who typed it."""
    if not notes:
        return _section("Notes", "No notes were recorded.")
    topics: list[tuple[str, list[str]]] = []
    for note in notes:
        if note.kind == "topic":
            topics.append((_inline(note.text) or "Untitled topic", []))
            continue
        if not topics:
            topics.append(("General", []))
        text = _multiline(note.text, "  ")
        topics[-1][1].append(f"- **Decision:** {text}" if note.kind == "decision" else f"- {text}")
    parts = [
        f"### {title}\n\n" + ("\n".join(lines) or "Nothing recorded.") for title, lines in topics
    ]
    return _section("Notes", "\n\n".join(parts))


def _decisions(notes: Sequence[Note]) -> str:
    """All decisions again in one numbered list: they are what people look for."""
    decisions = [note for note in notes if note.kind == "decision"]
    if not decisions:
        return _section("Decisions", "No decisions were recorded.")
    lines = [f"{n}. {_multiline(d.text, '   ')}" for n, d in enumerate(decisions, 1)]
    return _section("Decisions", "\n".join(lines))


def _outputs(changes: Sequence[str]) -> list[str]:
    if not changes:
        return []
    return [_section("Outputs", "\n".join(f"- {line}" for line in changes))]


def _actions(new: Sequence[ActionView], carried: Sequence[ActionView]) -> str:
    """New and carried-over action items as lists, not a table: a member's `|`
    cannot break a list, and the commonmark renderer has no tables anyway."""
    if not new and not carried:
        return _section("Action items", "No action items.")
    new_lines = "\n".join(_action_line(a, carried=False) for a in new) or "No new action items."
    old_lines = "\n".join(_action_line(a, carried=True) for a in carried) or "None."
    return _section(
        "Action items",
        f"### New\n\n{new_lines}\n\n### Carried over from earlier meetings\n\n{old_lines}",
    )


def _action_line(action: ActionView, *, carried: bool) -> str:
    """`- **#12** Task`, then a second line with owners, due date and status."""
    owners = ", ".join(_inline(owner) for owner in action.owners)
    details = [f"Owner{'s' if len(action.owners) > 1 else ''}: {owners}" if owners else "No owner"]
    due = f"due {_local_day(action.due)}" if action.due else "no due date"
    details.append(f"{due}, **overdue**" if action.overdue else due)
    details.append(escape(action.status))
    if carried:
        details.append(f"raised {_raised(action.created_in)}")
    task = _multiline(action.text, "  ") or "(no text)"
    return f"- **#{action.id}** {task}{HARD_BREAK}  {'; '.join(details)}"


def _next(meeting: Meeting | None) -> str:
    return describe_meeting(meeting) if meeting else "Not scheduled."


def _raised(meeting_key: str) -> str:
    """The day of the meeting an action came from, read from its key."""
    try:
        return _local_day(datetime.strptime(meeting_key, KEY_FORMAT).date())
    except ValueError:
        return _inline(meeting_key)
