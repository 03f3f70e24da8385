"""Texts about meetings: the agenda, reminders, the update chase, the schedule.

Pure functions from meetings and stored items to Markdown; member text is
escaped here, once, so no handler or scheduler has to remember to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.calendar.cadence import Meeting, MeetingStatus
from bot.meeting.people import Names
from bot.meeting.render import escape


@dataclass(frozen=True)
class ProposedItem:
    text: str
    proposer: str


@dataclass(frozen=True)
class AgendaLine:
    number: int
    text: str  # Markdown, escaped
    proposed_index: int | None  # position among proposed items, for !agenda remove


def day_and_time(moment: datetime) -> str:
    """`Friday 5 December 2025, 11:00 CET` in the meeting's own zone."""
    return f"{moment:%A} {moment.day} {moment:%B %Y}, {moment:%H:%M} {moment.tzname()}"


def short_day(moment: datetime) -> str:
    return f"{moment:%a} {moment.day} {moment:%b %Y}, {moment:%H:%M} {moment.tzname()}"


def describe_meeting(meeting: Meeting) -> str:
    """Local date and time range with the zone, and the same in UTC."""
    start, end = meeting.start, meeting.end
    start_utc, end_utc = start.astimezone(UTC), end.astimezone(UTC)
    return (
        f"{start:%A} {start.day} {start:%B %Y}, {start:%H:%M}–{end:%H:%M} {start.tzname()} "
        f"({start_utc:%H:%M}–{end_utc:%H:%M} UTC)"
    )


def call_line(call_link: str | None) -> str:
    return f"Call: <{call_link}>" if call_link else "Call: the link will follow from the chairs."


def agenda_lines(standing: Sequence[str], proposed: Sequence[ProposedItem]) -> list[AgendaLine]:
    """Standing items, with proposed ones inserted before the last standing
    item (by convention "Any other business")."""
    head, tail = (list(standing[:-1]), list(standing[-1:])) if standing else ([], [])
    lines: list[AgendaLine] = []
    for text in head:
        lines.append(AgendaLine(len(lines) + 1, escape(text), None))
    for index, item in enumerate(proposed):
        text = f"{escape(item.text)} (proposed by {escape(item.proposer)})"
        lines.append(AgendaLine(len(lines) + 1, text, index))
    for text in tail:
        lines.append(AgendaLine(len(lines) + 1, escape(text), None))
    return lines


def render_agenda(
    group_name: str,
    meeting: Meeting,
    call_link: str | None,
    standing: Sequence[str],
    proposed: Sequence[ProposedItem],
    open_actions: Sequence[str] = (),
    *,
    draft: bool = False,
    outputs: Sequence[str] = (),
    subgroup_reports: Sequence[str] = (),
) -> str:
    title = "Draft agenda" if draft else "Agenda"
    parts = [
        f"**{title}: {escape(group_name)} meeting, {describe_meeting(meeting)}**",
        call_line(call_link),
        "\n".join(f"{line.number}. {line.text}" for line in agenda_lines(standing, proposed)),
    ]
    if open_actions:
        parts.append("**Open action items**\n\n" + "\n".join(f"- {a}" for a in open_actions))
    if subgroup_reports:
        parts.append("**Sub-group reports**\n\n" + "\n".join(f"- {r}" for r in subgroup_reports))
    if outputs:
        parts.append(
            "**Outputs due or awaiting a decision**\n\n" + "\n".join(f"- {o}" for o in outputs)
        )
    parts.append(
        "Please send your alliance's update with `!update <text>` before the meeting; "
        "propose an item with `!agenda add <text>`."
    )
    return "\n\n".join(parts)


def render_reminder(
    group_name: str,
    meeting: Meeting,
    call_link: str | None,
    lead: str,
    updates: int,
    every_alliance: bool = False,
) -> str:
    """The reminder; `every_alliance`: each alliance on the roster has sent
    its update, so nobody is asked for theirs."""
    received = f"{updates} update{'s' if updates != 1 else ''} received so far"
    ask = ", one from every alliance." if every_alliance else "; send yours with `!update <text>`."
    return (
        f"**Reminder: {escape(group_name)} meets {lead}**, {describe_meeting(meeting)}.\n\n"
        f"{call_line(call_link)}\n\n{received}{ask}"
    )


def mention(user_id: str, name: str | None = None) -> str:
    """A mention pill showing the person's name; the user id comes from the
    config, not from members, and the name is escaped like member text."""
    return f"[{escape(name or user_id)}](https://matrix.to/#/{user_id})"


def render_chase(
    group_name: str,
    meeting: Meeting,
    missing: Mapping[str, Sequence[str]],
    names: Names | None = None,
) -> str:
    """The nudge to the people of the alliances that sent no update yet
    (`missing`: alliance -> its people, in the roster's order), each
    alliance named with its people, so the count and the names agree."""
    names = names or Names()

    def people(users: Sequence[str]) -> str:
        return ", ".join(mention(user, names.of(user)) for user in users)

    if len(missing) == 1:
        [(alliance, users)] = missing.items()
        whom = f"{escape(alliance)}: {people(users)}"
    else:
        listed = "; ".join(f"{escape(a)} ({people(users)})" for a, users in missing.items())
        whom = f"{len(missing)} alliances: {listed}"
    return (
        f"Updates for the {escape(group_name)} meeting on {day_and_time(meeting.start)} "
        f"are still missing from {whom}. Send one with `!update <text>` "
        "(one per alliance is enough), or `!quiet` to stop these reminders."
    )


def render_schedule(meetings: Sequence[Meeting]) -> str:
    if not meetings:
        return "No meetings are scheduled."
    return "\n".join(f"- {schedule_line(m)}" for m in meetings)


def schedule_line(meeting: Meeting) -> str:
    when = f"{short_day(meeting.start)} ({meeting.start_utc:%H:%M} UTC)"
    reason = f": {escape(meeting.reason)}" if meeting.reason else ""
    if meeting.status == MeetingStatus.SKIPPED:
        return f"~~{when}~~ skipped{reason}"
    if meeting.status == MeetingStatus.MOVED and meeting.original_start is not None:
        return f"{when}, moved from {short_day(meeting.original_start)}{reason}"
    if meeting.status == MeetingStatus.ADDED:
        return f"{when}, extra meeting{reason}"
    return when
