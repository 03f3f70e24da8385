"""What each sub-group did since the parent group's last meeting, for the
parent's agenda ("Sub-group reports"): meetings held with a link to their
minutes, decisions, open action items. Read from the sub-groups' own stored
record, so nobody has to write the report by hand."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime

from bot.calendar.cadence import Meeting
from bot.config import GroupConfig
from bot.config.web import WebConfig
from bot.meeting import record
from bot.meeting.live import session_meeting
from bot.meeting.outputs import one_line
from bot.meeting.permalinks import meeting_url
from bot.meeting.render import escape, plural
from bot.runtime.calendars import load_calendar
from bot.runtime.outbox_writer import event_id_of
from storage.repo import Repo
from storage.repo_report import KeyedNote

Link = Callable[[str, str], str | None]  # (group id, message id) -> a link to it


async def previous_end(repo: Repo, group: GroupConfig, meeting: Meeting) -> datetime:
    """Where the parent's agenda starts counting: the record's rule."""
    return record.previous_end(await load_calendar(repo, group), meeting)


async def subgroup_report_lines(
    repo: Repo,
    group: GroupConfig,
    since: datetime,
    now: datetime,
    link: Link,
    web: WebConfig | None = None,
) -> list[str]:
    """`web`: link each meeting to its page in the archive (else its message)."""
    return [await _report(repo, sub, since, now, link, web) for sub in group.subgroups]


async def _meetings_facts(
    repo: Repo, sub: GroupConfig, since: datetime, now: datetime
) -> list[record.MeetingFacts]:
    """What is stored for each of the sub-group's meetings started since
    `since`: the calendar's and any live sessions outside it."""
    calendar = await load_calendar(repo, sub)
    found = {m.key: m for m in calendar.between(since, now) if m.start <= now}
    sessions = {s.meeting_key: s for s in await repo.sessions_started_since(sub.id, since)}
    for key, session in sessions.items():
        found.setdefault(key, session_meeting(session, sub.timezone))
    minutes = await repo.minutes_keys(sub.id, found)
    notes: dict[str, list[KeyedNote]] = defaultdict(list)
    for note in await repo.notes_for_meetings(sub.id, found):  # one query for all of them
        notes[note.meeting_key].append(note)
    facts = [
        record.MeetingFacts(meeting, sessions.get(key), notes[key], has_minutes=key in minutes)
        for key, meeting in found.items()
    ]
    return sorted(facts, key=lambda f: f.meeting.start)


async def _report(
    repo: Repo, sub: GroupConfig, since: datetime, now: datetime, link: Link, web: WebConfig | None
) -> str:
    """Held or not is the record's rule (`bot.meeting.record.is_held`), as in
    the minutes and the yearly report; a meeting with nothing recorded is
    named as such."""
    decisions: list[str] = []
    held: list[str] = []
    unrecorded: list[str] = []
    for facts in await _meetings_facts(repo, sub, since, now):
        decisions += [one_line(n.text) for n in facts.notes if n.kind == record.NoteKind.DECISION]
        text = await _meeting_text(repo, sub, facts.meeting, link, web)
        (held if record.is_held(facts, now) else unrecorded).append(text)
    actions = await repo.actions(sub.id)
    parts = [f"met {', '.join(held)}" if held else "no meeting recorded since the last one"]
    if unrecorded:
        parts.append(f"nothing recorded for {', '.join(unrecorded)}")
    if decisions:
        parts.append("decisions: " + "; ".join(escape(d) for d in decisions))
    parts.append(plural(len(actions), "open action item"))
    return f"**{escape(sub.name)}**: " + "; ".join(parts) + "."


async def _meeting_text(
    repo: Repo, sub: GroupConfig, meeting: Meeting, link: Link, web: WebConfig | None
) -> str:
    """The day, with a link to its minutes: the meeting's page in the web
    archive where there is one, else the minutes message once it was sent
    (the sub-group's network builds that link)."""
    day = _day(meeting.start.astimezone(sub.timezone).date())
    if web is not None:
        calendar = await load_calendar(repo, sub)
        return f"{day} ([minutes]({meeting_url(web, sub.id, meeting, calendar)}))"
    posted = await repo.minutes_post(sub.id, meeting.key)
    first_key = posted[0][0] if posted and posted[0] else None
    event_id = await event_id_of(repo, first_key) if first_key else None
    url = link(sub.id, event_id) if event_id else None
    return f"{day} ([minutes]({url}))" if url else day


def _day(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b}"
