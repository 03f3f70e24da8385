"""Collects what was recorded for a meeting into the pure `MinutesData`.

The only place minutes touch storage; `bot.meeting.minutes` stays pure, so the
handler, the CLI and the tests all compile minutes the same way.
"""

from __future__ import annotations

from datetime import datetime

from bot.calendar.cadence import Meeting
from bot.config import GroupConfig
from bot.meeting.agenda import ProposedItem, agenda_lines
from bot.meeting.group_calendar import GroupCalendar
from bot.meeting.minutes import ActionView, MinutesData, Note, Person, UpdateView
from bot.meeting.outputs import change_line
from bot.meeting.people import FORMER_MEMBER, FORMER_PREFIX, Names, represented
from bot.meeting.record import SPOKEN, MeetingFacts, NoteKind, apologies, present, previous_end
from bot.runtime.calendars import load_names
from storage.repo import Repo
from storage.repo_meetings import StoredAction, StoredSession


def _person(group: GroupConfig, names: Names, user: str) -> Person:
    """Shown under their alliance (a stand-in's too, without repeating it)."""
    shown = FORMER_MEMBER if user.startswith(FORMER_PREFIX) else names.of(user)
    return Person(shown, represented(group, user), who=user)


def _action_view(action: StoredAction, today, names: Names) -> ActionView:
    overdue = action.status == "open" and action.due is not None and action.due < today
    return ActionView(
        action.id,
        action.text,
        names.all_of(action.owners),
        action.due,
        action.status,  # type: ignore[arg-type]
        action.meeting_key,
        overdue,
    )


async def gather_minutes(
    repo: Repo,
    calendar: GroupCalendar,
    meeting: Meeting,
    session: StoredSession | None,
    now: datetime,
) -> MinutesData:
    group = calendar.group
    names = await load_names(repo, group)
    live = session is not None and session.meeting_key == meeting.key
    notes = await repo.notes_for(group.id, meeting.key)
    new = [a for a in await repo.actions_created_in(group.id, meeting.key) if a.status != "removed"]
    facts = MeetingFacts(meeting, session if live else None, notes, new)
    # One apology per person: the latest text wins (an empty one keeps the earlier).
    apology_text: dict[str, str] = {}
    for note in (n for n in notes if n.kind == NoteKind.APOLOGY):
        apology_text[note.author] = note.text or apology_text.get(note.author, "")
    items = await repo.agenda_items(group.id, meeting.key)
    proposed = [ProposedItem(i.text, names.of(i.proposer)) for i in items]
    agenda = tuple(agenda_lines(group.schedule.standing_items, proposed))
    updates = tuple(
        UpdateView(u.alliance, names.of(u.sender), u.text)
        for u in await repo.updates_for(group.id, meeting.key)
    )
    today = now.astimezone(group.timezone).date()
    # still open, raised before this meeting began (not since: these minutes
    # may be compiled long after it)
    carried = [
        a
        for a in await repo.actions(group.id)
        if a.meeting_key != meeting.key and a.created_at < meeting.start
    ]
    chairs = (session.started_by,) if live and session else group.chairs
    until = _minutes_end(meeting, session if live else None, now)
    changes = await repo.output_changes(group.id, previous_end(calendar, meeting), until)
    output_changes = tuple(
        change_line(
            c.title,
            c.kind,
            c.status,
            c.note,
            names.of(c.changed_by),
            c.changed_at.astimezone(group.timezone).date(),
        )
        for c in changes
    )
    there = present(facts)
    return MinutesData(
        group_name=group.name,
        meeting=meeting,
        chairs=names.all_of(tuple(chairs)),
        present=tuple(_person(group, names, p) for p in there),
        apologies=tuple(
            (_person(group, names, p), apology_text[p]) for p in apologies(facts, there)
        ),
        agenda=agenda,
        updates=updates,
        notes=tuple(
            Note(n.kind, n.text, names.of(n.author))  # type: ignore[arg-type]
            for n in notes
            if n.kind in SPOKEN
        ),
        new_actions=tuple(_action_view(a, today, names) for a in new),
        carried_actions=tuple(_action_view(a, today, names) for a in carried),
        next_meeting=calendar.next(meeting.end),  # the one after it, when compiled late too
        live=live,
        output_changes=output_changes,
    )


def _minutes_end(meeting: Meeting, session: StoredSession | None, now: datetime) -> datetime:
    """Output steps count for these minutes up to the meeting's end, or the
    live session's (still open: up to now)."""
    if session is None:
        return meeting.end
    return max(meeting.end, session.ended_at or now)
