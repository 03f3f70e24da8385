"""What each sub-group did since the parent group's last meeting, for the
parent's agenda ("Sub-group reports"): meetings held with a link to their
minutes, decisions, open action items. Read from the sub-groups' own stored
record, so nobody has to write the report by hand."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from urllib.parse import quote

from bot.calendar.cadence import Meeting
from bot.chat.teams.ids import decode
from bot.config import GroupConfig
from bot.config.problems import TEAMS
from bot.meeting.live import session_meeting
from bot.meeting.outputs import one_line
from bot.meeting.render import escape
from bot.runtime.calendars import load_calendar
from bot.runtime.core import txn_id_for
from storage.repo import Repo

LOOKBACK = timedelta(days=400)


def permalink(group: GroupConfig, event_id: str) -> str:
    """A link the group's client opens at the message: matrix.to for Element
    and other Matrix clients, a Teams deep link for a channel message."""
    if group.network == TEAMS:
        ref = decode(event_id)
        if ref is not None:
            return f"https://teams.microsoft.com/l/message/{quote(ref.channel)}/{ref.activity_id}"
    return f"https://matrix.to/#/{group.room}/{event_id}"


async def previous_end(repo: Repo, group: GroupConfig, meeting: Meeting) -> datetime:
    """The end of the parent's meeting before `meeting`: reports start there."""
    calendar = await load_calendar(repo, group)
    window = calendar.between(meeting.start - LOOKBACK, meeting.start)
    earlier = [m for m in window if m.start < meeting.start]
    return earlier[-1].end if earlier else meeting.start - LOOKBACK


async def subgroup_report_lines(
    repo: Repo, group: GroupConfig, since: datetime, now: datetime
) -> list[str]:
    return [await _report(repo, sub, since, now) for sub in group.subgroups]


async def _meetings(
    repo: Repo, sub: GroupConfig, since: datetime, now: datetime
) -> list[tuple[Meeting, bool]]:
    """The sub-group's meetings due since `since`, each with whether a live
    session was run for it (ad-hoc sessions included)."""
    calendar = await load_calendar(repo, sub)
    found = {m.key: (m, False) for m in calendar.between(since, now) if m.start <= now}
    for session in await repo.sessions_started_since(sub.id, since):
        meeting = found.get(session.meeting_key, (session_meeting(session, sub.timezone),))[0]
        found[session.meeting_key] = (meeting, True)
    return sorted(found.values(), key=lambda pair: pair[0].start)


async def _report(repo: Repo, sub: GroupConfig, since: datetime, now: datetime) -> str:
    """Only a meeting with something recorded (a live session, notes other
    than apologies, or minutes) counts as held, as in the yearly report
    (`bot.runtime.report_data`); a scheduled one without is named as such."""
    decisions: list[str] = []
    held: list[str] = []
    unrecorded: list[str] = []
    for meeting, had_session in await _meetings(repo, sub, since, now):
        notes = await repo.notes_for(sub.id, meeting.key)
        decisions += [one_line(n.text) for n in notes if n.kind == "decision"]
        text, has_minutes = await _meeting_text(repo, sub, meeting)
        noted = any(n.kind != "apology" for n in notes)  # apologies come before, held or not
        (held if had_session or noted or has_minutes else unrecorded).append(text)
    actions = await repo.actions(sub.id)
    parts = [f"met {', '.join(held)}" if held else "no meeting recorded since the last one"]
    if unrecorded:
        parts.append(f"nothing recorded for {', '.join(unrecorded)}")
    if decisions:
        parts.append("decisions: " + "; ".join(escape(d) for d in decisions))
    parts.append(f"{len(actions)} open action item{'s' if len(actions) != 1 else ''}")
    return f"**{escape(sub.name)}**: " + "; ".join(parts) + "."


async def _meeting_text(repo: Repo, sub: GroupConfig, meeting: Meeting) -> tuple[str, bool]:
    """The day, with a link to its minutes message when there is one."""
    day = _day(meeting.start.astimezone(sub.timezone).date())
    posted = await repo.minutes_post(sub.id, meeting.key)
    first_key = posted[0][0] if posted and posted[0] else None
    event_id = await repo.remote_event_id(txn_id_for(first_key, 0)) if first_key else None
    if event_id is None:
        return day, False
    return f"{day} ([minutes]({permalink(sub, event_id)}))", True


def _day(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b}"
