"""Domain values loaded from storage: a group's calendar with its stored
overrides, its open action items and outputs as agenda lines, and how to
name people."""

from __future__ import annotations

from datetime import date, datetime

from bot.calendar.cadence import KEY_FORMAT, Meeting, Override
from bot.config import GroupConfig
from bot.meeting.actions import action_line
from bot.meeting.group_calendar import GroupCalendar
from bot.meeting.outputs import for_agenda, output_line
from bot.meeting.people import Names, names_for
from bot.meeting.record import meeting_now
from storage.repo import Repo
from storage.repo_schedule import StoredOverride


def _local(text: str | None) -> datetime | None:
    return None if text is None else datetime.strptime(text, KEY_FORMAT)


def to_override(stored: StoredOverride) -> Override:
    return Override(
        stored.kind, _local(stored.original_local), _local(stored.new_local), stored.reason
    )


async def load_calendar(repo: Repo, group: GroupConfig) -> GroupCalendar:
    stored = await repo.overrides(group.id)
    return GroupCalendar(group, tuple(to_override(row) for row in stored))


async def current_meeting(
    repo: Repo, group: GroupConfig, now: datetime
) -> tuple[GroupCalendar, Meeting | None]:
    """The group's calendar and the meeting in progress or next, a meeting a
    chair has ended counting as over (the rule: `bot.meeting.record.meeting_now`)."""
    calendar = await load_calendar(repo, group)
    if calendar.cadence is None:
        return calendar, None
    return calendar, meeting_now(calendar, await repo.last_session(group.id), now)


async def load_names(repo: Repo, group: GroupConfig) -> Names:
    return names_for(group, await repo.display_names())


async def open_action_lines(repo: Repo, group: GroupConfig, today: date, names: Names) -> list[str]:
    """Open action items as agenda lines, overdue ones marked, owners by name."""
    return [
        action_line(a.id, a.owners, a.text, a.due, today, names=names)
        for a in await repo.actions(group.id)
    ]


async def agenda_output_lines(
    repo: Repo, group: GroupConfig, before: date, today: date, names: Names
) -> list[str]:
    """Outputs the meeting on `before` should hear about, as agenda lines."""
    outputs = await repo.outputs(group.id)
    return [output_line(o, names, today) for o in for_agenda(outputs, before)]
