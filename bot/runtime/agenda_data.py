"""A meeting's agenda from what is stored: proposed items, open actions, the
outputs to decide on and the sub-groups' reports. The one place the `!agenda` command and the
automatic agenda post build it, so the two never differ."""

from __future__ import annotations

from datetime import datetime

from bot.calendar.cadence import Meeting
from bot.config import GroupConfig
from bot.config.web import WebConfig
from bot.meeting.agenda import ProposedItem, render_agenda
from bot.runtime.calendars import agenda_output_lines, load_names, open_action_lines
from bot.runtime.subgroup_reports import Link, previous_end, subgroup_report_lines
from storage.repo import Repo


async def agenda_text(
    repo: Repo,
    group: GroupConfig,
    meeting: Meeting,
    now: datetime,
    *,
    draft: bool,
    link: Link,
    web: WebConfig | None = None,
) -> str:
    """`link` builds the link to a message of a group's room (its network's);
    with `web`, the sub-groups' meetings link to their archive pages."""
    today = now.astimezone(group.timezone).date()
    names = await load_names(repo, group)
    items = await repo.agenda_items(group.id, meeting.key)
    proposed = [ProposedItem(i.text, names.of(i.proposer)) for i in items]
    schedule = group.schedule
    return render_agenda(
        group.name,
        meeting,
        schedule.call_link,
        schedule.standing_items,
        proposed,
        await open_action_lines(repo, group, today, names),
        draft=draft,
        outputs=await agenda_output_lines(repo, group, meeting.start.date(), today, names),
        subgroup_reports=await _reports(repo, group, meeting, now, link, web),
    )


async def _reports(
    repo: Repo,
    group: GroupConfig,
    meeting: Meeting,
    now: datetime,
    link: Link,
    web: WebConfig | None,
) -> list[str]:
    if not group.subgroups:
        return []
    since = await previous_end(repo, group, meeting)
    return await subgroup_report_lines(repo, group, since, min(now, meeting.start), link, web)
