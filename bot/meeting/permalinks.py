"""Where a meeting lives in the web archive: `/g/<group>/meetings/<date>`,
with `-2`, `-3` for a second and third meeting starting that local day (by
start time). The archive's pages and every message that links to them ask
here, so a link in the minutes post and the page it opens agree."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from bot.calendar.cadence import Meeting
from bot.config.web import WebConfig
from bot.meeting.group_calendar import GroupCalendar


def slugs(meetings: Iterable[Meeting]) -> dict[str, str]:
    """Meeting key -> its permalink part, `YYYY-MM-DD` or `YYYY-MM-DD-2`."""
    found: dict[str, str] = {}
    per_day: dict[str, int] = {}
    for meeting in sorted(meetings, key=lambda m: m.start):
        day = f"{meeting.start:%Y-%m-%d}"
        per_day[day] = per_day.get(day, 0) + 1
        found[meeting.key] = day if per_day[day] == 1 else f"{day}-{per_day[day]}"
    return found


def slug_of(meeting: Meeting, calendar: GroupCalendar) -> str:
    """One meeting's permalink part, from the meetings starting its day."""
    day = meeting.start.date()
    around = calendar.between(
        meeting.start - timedelta(days=1), meeting.start + timedelta(days=1), include_skipped=True
    )
    return slugs([m for m in around if m.start.date() == day] or [meeting])[meeting.key]


def meeting_path(group_id: str, slug: str) -> str:
    return f"/g/{group_id}/meetings/{slug}"


def meeting_url(web: WebConfig, group_id: str, meeting: Meeting, calendar: GroupCalendar) -> str:
    """The meeting page's public address, as every message that links to it writes it."""
    return web.url(meeting_path(group_id, slug_of(meeting, calendar)))
