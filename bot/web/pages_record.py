"""The archive's actions and outputs pages: what is open and overdue, by
alliance and owner, and each output's way through its statuses."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from bot.config import GroupConfig
from bot.meeting.outputs import STATUSES, kind_text, status_text
from bot.meeting.people import represented
from bot.runtime.calendars import load_names
from bot.web.pages import EPOCH
from storage.repo import Repo

CLOSED_SHOWN = 100
_ALIGN = re.compile(r' style="text-align:(left|right|center)"')


@dataclass(frozen=True)
class ActionRow:
    number: int
    task: str
    owners: str
    alliances: str
    due: str
    overdue: bool
    closed: str = ""


async def action_rows(repo: Repo, group: GroupConfig, now: datetime) -> dict:
    """Open actions (overdue first, then by alliance and owner) and the latest
    done ones (CLOSED_SHOWN, and how many more)."""
    names = await load_names(repo, group)
    today = now.astimezone(group.timezone).date()

    def row(action) -> ActionRow:
        alliances = sorted({a for o in action.owners if (a := represented(group, o))})
        closed = action.closed_at.astimezone(group.timezone) if action.closed_at else None
        return ActionRow(
            action.id,
            action.text,
            ", ".join(names.of(o) for o in action.owners),
            ", ".join(alliances) or "-",
            f"{action.due:%a %-d %b %Y}" if action.due else "no due date",
            action.due is not None and action.due < today,
            f"{closed:%a %-d %b %Y}" if closed else "",
        )

    open_rows = [row(a) for a in await repo.actions(group.id, status="open")]
    open_rows.sort(key=lambda r: (not r.overdue, r.alliances, r.owners, r.number))
    done, total = await repo.closed_actions(group.id, CLOSED_SHOWN)
    return {"open": open_rows, "closed": [row(a) for a in done], "older": total - len(done)}


async def output_stages(repo: Repo, group: GroupConfig, now: datetime) -> dict:
    """Outputs by status in pipeline order, each with its steps."""
    names = await load_names(repo, group)
    steps: dict[int, list[str]] = {}
    for change in await repo.output_changes(group.id, EPOCH, now):
        when = change.changed_at.astimezone(group.timezone)
        steps.setdefault(change.output_id, []).append(
            f"{when:%-d %b %Y}: {status_text(change.status)} ({names.of(change.changed_by)})"
        )
    stages = []
    outputs = await repo.outputs(group.id)
    for status in STATUSES:
        found = [
            {
                "title": o.title,
                "kind": kind_text(o.kind),
                "owner": names.of(o.owner) if o.owner else "",
                "link": o.link if o.link and o.link.startswith(("https://", "http://")) else None,
                "steps": steps.get(o.id, []),
            }
            for o in outputs
            if o.status == status
        ]
        if found:
            stages.append((status_text(status), found))
    return {"stages": stages}


async def report_view(repo: Repo, group: GroupConfig, year: int, now: datetime) -> dict:
    """The report to WP2 of one year, the same sections `!report` posts (its
    charts are drawn only there: they take seconds)."""
    from bot.meeting.report.figures import compile_report
    from bot.meeting.report.html import report_body
    from bot.meeting.report.period import PeriodError, parse_period
    from bot.runtime.report_data import gather_report

    try:
        period = parse_period(str(year), group.date_settings, now)
    except PeriodError:
        return {"body": None, "note": f"There is no report for {year}."}
    data = await gather_report(repo, group, period, now)
    if period.first > data.today or not data.meetings:
        return {"body": None, "note": f"{group.name} has no meetings on record in {year}."}
    # table cells aligned by class, not by a style attribute the page's CSP refuses
    body = _ALIGN.sub(r' class="align-\1"', report_body(compile_report(data)))
    return {"body": body, "note": ""}


async def report_years(repo: Repo, group: GroupConfig, now: datetime) -> list[int]:
    """The years with a record, newest first."""
    first = await repo.first_record(group.id)
    this_year = now.astimezone(group.timezone).year
    start = first.astimezone(group.timezone).year if first else this_year
    return list(range(this_year, start - 1, -1))
