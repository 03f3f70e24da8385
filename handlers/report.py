"""`!report [year | <from> to <to>]`: the group's report to WP2 in the room.

A summary message, the charts as an image and the full report as one HTML
file that prints cleanly to PDF. Reading a report stores nothing.
"""

from __future__ import annotations

import re

from bot.meeting.render import escape
from bot.runtime.router import CommandContext, OutgoingFile, Phase, Reply, Role, Router, UsageError

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
NO_CHARTS = "The charts could not be drawn this time; the report below is complete without them."


def report_filename(group_id: str, label: str, suffix: str) -> str:
    return f"{_UNSAFE.sub('-', group_id)}-report-{_UNSAFE.sub('-', label).strip('-')}.{suffix}"


def register(router: Router) -> None:
    @router.command(
        "report",
        role=Role.VICE_CHAIR,
        usage="!report [year | <from> to <to>]",
        summary="the yearly report to the WP2 Board",
        phase=Phase.RECORD,
        example="!report 2026",
    )
    async def report(ctx: CommandContext) -> Reply:
        # imported at the first `!report` (a few times a year), not at every start
        from bot.meeting.report.charts import chart_input
        from bot.meeting.report.figures import compile_report
        from bot.meeting.report.html import report_html
        from bot.meeting.report.markdown import report_summary
        from bot.meeting.report.period import PeriodError, parse_period
        from bot.runtime.charts import draw_charts
        from bot.runtime.report_data import gather_report

        try:
            period = parse_period(ctx.args, ctx.group.date_settings, ctx.now)
        except PeriodError as exc:
            raise UsageError(escape(str(exc))) from None
        data = await gather_report(ctx.repo, ctx.group, period, ctx.now, ctx.sender)
        if period.first > data.today:
            return Reply(f"{period.label} has not started yet: there is nothing to report.")
        if not data.meetings:
            return Reply(
                f"{escape(ctx.group.name)} has no meetings on record in "
                f"{period.label}: there is nothing to report."
            )
        group_id = ctx.group.id

        async def render() -> Reply:
            """Outside the transaction: the charts take seconds."""
            compiled = compile_report(data)
            charts = await draw_charts(chart_input(compiled))
            html = report_html(compiled, charts.svgs if charts else None)
            name = report_filename(group_id, period.label, "html")
            files = [OutgoingFile(name, "text/html", html.encode())]
            if charts is not None:
                chart_name = report_filename(group_id, period.label, "png")
                files.insert(0, OutgoingFile(chart_name, "image/png", charts.png))
            summary = report_summary(compiled)
            return Reply(summary if charts else f"{summary}\n\n{NO_CHARTS}", files=tuple(files))

        return Reply("", finish=render)
