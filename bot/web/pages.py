"""What each archive page shows, gathered from storage and the calendar; the
templates (`bot/web/templates`) only lay it out, autoescaped.

A meeting's permalink is its local date, `-2` for a second meeting that day
(`bot.meeting.permalinks`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.calendar.cadence import Meeting
from bot.config import GroupConfig
from bot.meeting.agenda import describe_meeting
from bot.meeting.people import Names
from bot.meeting.permalinks import slugs
from bot.meeting.record import MeetingFacts, is_held
from bot.meeting.render import to_html
from bot.runtime.calendars import current_meeting, load_calendar, load_names
from storage.repo import Repo

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
AHEAD = timedelta(days=400)


@dataclass(frozen=True)
class MeetingLine:
    slug: str
    when: str
    status: str  # held, skipped, not recorded, upcoming
    reason: str = ""


@dataclass
class MeetingView:
    title: str
    when: str
    status: str
    reason: str
    minutes_html: str | None
    decisions: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    updates: list[tuple[str, str, str]] = field(default_factory=list)  # alliance, who, text


async def _all_meetings(repo: Repo, group: GroupConfig, now: datetime) -> list[Meeting]:
    calendar = await load_calendar(repo, group)
    return calendar.between(EPOCH, now + AHEAD, include_skipped=True)


async def meeting_lines(repo: Repo, group: GroupConfig, now: datetime) -> list[MeetingLine]:
    """Every meeting of the calendar, newest first, with what became of it."""
    meetings = await _all_meetings(repo, group, now)
    links = slugs(meetings)
    recorded = await repo.minutes_keys(group.id, [m.key for m in meetings])
    kinds = await repo.note_kinds(group.id)
    sessions = {s.meeting_key: s for s in await repo.sessions_between(group.id, EPOCH, now)}
    lines = []
    for meeting in reversed(meetings):
        notes = [_Kind(kind) for kind in kinds.get(meeting.key, ())]
        facts = MeetingFacts(
            meeting,
            session=sessions.get(meeting.key),
            notes=notes,
            has_minutes=meeting.key in recorded,
        )
        when = describe_meeting(meeting)
        lines.append(MeetingLine(links[meeting.key], when, _status(facts, now), meeting.reason))
    return lines


@dataclass(frozen=True)
class _Kind:
    """A note as the record's rules read it for a meeting list: its kind alone."""

    kind: str


def _status(facts: MeetingFacts, now: datetime) -> str:
    """What became of a meeting, by the record's one rule (`is_held`)."""
    meeting = facts.meeting
    if meeting.status == "skipped":
        return "skipped"
    if meeting.start > now:
        return "upcoming"
    return "held" if is_held(facts, now) else "not recorded"


async def meeting_view(
    repo: Repo, group: GroupConfig, slug: str, now: datetime
) -> MeetingView | None:
    meetings = await _all_meetings(repo, group, now)
    key = next((k for k, s in slugs(meetings).items() if s == slug), None)
    meeting = next((m for m in meetings if m.key == key), None)
    if meeting is None:
        return None
    names = await load_names(repo, group)
    markdown = await repo.minutes_markdown(group.id, meeting.key)
    sessions = await repo.sessions_between(group.id, EPOCH, now)
    facts = MeetingFacts(
        meeting,
        session=next((s for s in sessions if s.meeting_key == meeting.key), None),
        notes=await repo.notes_for(group.id, meeting.key),
        has_minutes=markdown is not None,
    )
    view = MeetingView(
        f"{group.name} meeting", describe_meeting(meeting), _status(facts, now), meeting.reason,
        to_html(markdown) if markdown else None,
    )  # fmt: skip
    view.decisions = [n.text for n in facts.notes if n.kind == "decision"]
    view.actions = [_action(a, names) for a in await repo.actions_created_in(group.id, meeting.key)]
    view.updates = [
        (u.alliance, names.of(u.sender), u.text)
        for u in await repo.updates_for(group.id, meeting.key)
    ]
    return view


def _action(action, names: Names) -> str:
    owners = ", ".join(names.of(o) for o in action.owners)
    due = f", due {action.due:%a %-d %b %Y}" if action.due else ""
    state = " (done)" if action.status != "open" else ""
    return f"#{action.id} {owners}: {action.text}{due}{state}"


async def home(repo: Repo, group: GroupConfig, now: datetime) -> dict:
    meetings = await _all_meetings(repo, group, now)
    links = slugs(meetings)
    names = await load_names(repo, group)
    _, upcoming = await current_meeting(repo, group, now)  # one its chair ended is over
    decisions = await repo.decisions(group.id, limit=5)
    return {
        "next": describe_meeting(upcoming) if upcoming else None,
        "next_slug": links.get(upcoming.key) if upcoming else None,
        "actions": [_action(a, names) for a in await repo.actions(group.id)],
        "decisions": [(d.text, links.get(d.meeting_key)) for d in decisions],
        "outputs": [(o.title, o.status) for o in await repo.outputs(group.id)],
        "subgroups": [(g.id, g.name) for g in group.subgroups],
    }


async def decision_lines(
    repo: Repo, group: GroupConfig, words: str, year: int | None, now: datetime
) -> list[tuple[str, str, str | None]]:
    """(text, meeting date, permalink) of the decisions found, newest first."""
    links = slugs(await _all_meetings(repo, group, now))
    found = await repo.decisions(group.id, words=words, year=year)
    return [(d.text, d.meeting_key[:10], links.get(d.meeting_key)) for d in found]
