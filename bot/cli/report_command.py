"""`allies-bot report`: the group's report to WP2 from the shell, as
Markdown or as the same self-contained HTML file `!report` posts."""

from __future__ import annotations

import sys
from datetime import date

from bot.calendar.timeparse import parse_date
from bot.cli.calendar_commands import CliError, groups_named
from bot.config import Config
from bot.meeting.report.data import Period
from bot.meeting.report.period import checked_period, year_period
from bot.runtime.core import utc_now
from bot.runtime.report_data import gather_report
from storage.db import Storage


def cli_period(year: int | None, first: str | None, last: str | None, today: date) -> Period:
    """`--year`, or `--from` and `--to` (YYYY-MM-DD); the current year by default."""
    if year is not None and (first or last):
        raise CliError("--year: give either --year or --from/--to, not both")
    if year is None and (first is None) != (last is None):
        raise CliError("--from and --to go together")
    try:
        if year is not None or first is None:
            return year_period(today.year if year is None else year)
        return checked_period(parse_date(first, "--from"), parse_date(last, "--to"))
    except ValueError as exc:  # PeriodError and parse_date's errors
        raise CliError(str(exc)) from None


async def report_command(
    config: Config,
    group_id: str | None,
    year: int | None,
    first: str | None,
    last: str | None,
    fmt: str,
) -> str:
    from bot.meeting.report.charts import chart_input, draw_all
    from bot.meeting.report.figures import compile_report
    from bot.meeting.report.html import report_html
    from bot.meeting.report.markdown import report_markdown

    groups = groups_named(config, group_id)
    if len(groups) > 1:
        raise CliError("--group: this config has several groups; name one")
    group, now = groups[0], utc_now()
    period = cli_period(year, first, last, now.astimezone(group.timezone).date())
    storage = Storage(config.storage.url)
    try:
        await storage.migrate()
        async with storage.transaction() as repo:
            data = await gather_report(repo, group, period, now)
    finally:
        await storage.close()
    if not data.meetings:
        raise CliError(f"group {group.id}: no meetings in {period.label}, nothing to report")
    report = compile_report(data)
    if fmt == "md":
        return report_markdown(report)
    try:
        charts = draw_all(chart_input(report))
    except Exception as exc:  # as in chat: the report without its charts beats no report
        print(f"charts not drawn ({type(exc).__name__}); the report without", file=sys.stderr)
        return report_html(report)
    return report_html(report, {k: v for k, v in charts.items() if k != "png"})
