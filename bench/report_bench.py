"""The yearly report at scale: one group over 3 years of meetings (60
alliances, 2 people each, 30 meetings a year, 20 updates, 10 action items,
80 present and 8 notes a meeting, 30 outputs with their history), on SQLite.

Three figures: the report without charts (the few queries, the figures,
Markdown and HTML) against its target of 1 s, with a floor beside it (the
same rows read with the standard library's sqlite3, no ORM, nothing
computed) so the ratio says what the report itself costs; the charts alone
(matplotlib, as the child process draws them); and the whole `!report`
through the real core, charts process included.
"""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.micro import MicroSizes

TARGET_S = 1.0
TABLES = ("meeting_notes", "updates", "action_items", "outputs", "output_changes")


def _config(sizes: MicroSizes) -> str:
    members = "".join(
        f'[[groups.members]]\nuser = "@m{i:03d}:example.org"\nalliance = "ALLIANCE-{i // 2:02d}"\n'
        for i in range(sizes.report_alliances * 2)
    )
    return f"""
[storage]
url = "sqlite+aiosqlite:///bot.db"
data_dir = "data"

[[groups]]
id = "allies"
name = "ALLIES"
room = "!allies:example.org"
timezone = "Europe/Brussels"
chairs = ["@m000:example.org"]
{members}
[groups.cadence]
start = "2024-01-05 11:00"
every = "12 days"
duration = "1h"
"""


async def _fill(harness, sizes: MicroSizes) -> int:
    """Stored as the handlers store them, in one transaction per meeting."""
    from storage.models import ActionItem, MeetingNote, Output, OutputChange, Update

    group = harness.config.groups[0]
    begin = datetime(2024, 1, 1, tzinfo=UTC)
    end = datetime(2024 + sizes.report_years, 1, 1, tzinfo=UTC)
    from bot.meeting.group_calendar import GroupCalendar

    meetings = GroupCalendar(group).between(begin, end)
    people = [m.user for m in group.members]
    n = 0
    for index, meeting in enumerate(meetings):
        at = meeting.start_utc.replace(tzinfo=None)
        rows: list[Any] = []
        for i in range(sizes.report_updates):
            rows.append(
                Update(
                    group_id=group.id,
                    period=meeting.key,
                    sender=people[i * 3 % len(people)],
                    alliance=group.alliance_of(people[i * 3 % len(people)]),
                    text=f"Update {i}",
                    event_id=f"$u{index}-{i}",
                    created_at=at - timedelta(days=2),
                )
            )
        for i in range(sizes.report_present):
            rows.append(
                MeetingNote(
                    group_id=group.id,
                    meeting_key=meeting.key,
                    kind="here",
                    text="",
                    author=people[(i + index) % len(people)],
                    event_id=f"$h{index}-{i}",
                    created_at=at + timedelta(minutes=2),
                )
            )
        for i in range(8):
            kind = ("topic", "info", "decision", "apology")[i % 4]
            rows.append(
                MeetingNote(
                    group_id=group.id,
                    meeting_key=meeting.key,
                    kind=kind,
                    text=f"{kind} {i}",
                    author=people[(i * 7 + index) % len(people)],
                    event_id=f"$n{index}-{i}",
                    created_at=at + timedelta(minutes=10 + i),
                )
            )
        for i in range(sizes.report_actions):
            closed = at + timedelta(days=10 + i * 3) if i % 3 else None
            rows.append(
                ActionItem(
                    group_id=group.id,
                    meeting_key=meeting.key,
                    text=f"Task {i}",
                    owners=f'["{people[i % len(people)]}"]',
                    due=(at + timedelta(days=20)).date(),
                    status="done" if closed else "open",
                    created_by=people[0],
                    created_at=at + timedelta(minutes=30),
                    closed_at=closed,
                    closed_by=people[1] if closed else None,
                    event_id=f"$a{index}-{i}",
                )
            )
        async with harness.core.storage.transaction() as repo:
            repo.session.add_all(rows)
        n += len(rows)
    async with harness.core.storage.transaction() as repo:
        for k in range(30):
            made = begin.replace(tzinfo=None) + timedelta(days=30 * k)
            output = Output(
                group_id=group.id,
                kind="guideline",
                title=f"Output {k}",
                status="adopted",
                created_by=people[0],
                created_at=made,
                event_id=f"$o{k}",
            )
            repo.session.add(output)
            await repo.session.flush()
            for step, status in enumerate(("planned", "drafting", "consultation", "adopted")):
                repo.session.add(
                    OutputChange(
                        output_id=output.id,
                        group_id=group.id,
                        status=status,
                        note="",
                        changed_by=people[0],
                        changed_at=made + timedelta(days=20 * step),
                        event_id=f"$oc{k}-{step}",
                    )
                )
    return n + 150


def _floor(path: Path) -> float:
    """Read every row the report reads, with sqlite3 and no ORM."""
    started = time.perf_counter()
    with sqlite3.connect(path) as db:
        for table in TABLES:
            db.execute(f"SELECT * FROM {table}").fetchall()
    return time.perf_counter() - started


async def bench_report(sizes: MicroSizes, workdir: Path) -> dict[str, Any]:
    from bot.meeting.report.charts import chart_input, draw_all
    from bot.meeting.report.data import Period
    from bot.meeting.report.figures import compile_report
    from bot.meeting.report.html import report_html
    from bot.meeting.report.markdown import report_markdown
    from bot.runtime.report_data import gather_report
    from tests.unit.fakes import make_harness

    workdir.mkdir(parents=True, exist_ok=True)
    harness = await make_harness(workdir, _config(sizes))
    rows = await _fill(harness, sizes)
    group = harness.config.groups[0]
    harness.clock = datetime(2024 + sizes.report_years, 1, 2, 9, 0, tzinfo=UTC)
    period = Period(date(2024, 1, 1), date(2024 + sizes.report_years - 1, 12, 31))
    times, floors = [], []
    for _ in range(sizes.minutes_repeats):
        floors.append(_floor(workdir / "bot.db"))
        started = time.perf_counter()
        async with harness.core.storage.transaction() as repo:
            data = await gather_report(repo, group, period, harness.clock)
        report = compile_report(data)
        report_markdown(report)
        report_html(report)
        times.append(time.perf_counter() - started)
    started = time.perf_counter()
    draw_all(chart_input(report))
    charts = time.perf_counter() - started
    started = time.perf_counter()
    replies = await harness.say(
        "@m000:example.org", f"!report 2024-01-01 to {period.last:%Y-%m-%d}"
    )
    handler = time.perf_counter() - started
    await harness.core.storage.close()
    best, floor = min(times), min(floors)
    return {
        "years": sizes.report_years,
        "alliances": len(report.attendance),
        "meetings": len(report.held),
        "rows": rows,
        "s": best,
        "floor_s": floor,
        "ratio": best / floor if floor else None,
        "target_s": TARGET_S,
        "met": best <= TARGET_S,
        "charts_s": charts,
        "handler_s": handler,
        "posted": [r.file.name if r.file else "summary" for r in replies],
    }
