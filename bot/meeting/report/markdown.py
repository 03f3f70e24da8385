"""The report as Markdown (the shell's `allies-bot report`, the .md a chair
can edit) and the short summary posted in chat.

Member text (decisions, output titles, names, alliances) goes through
`escape` exactly once, here.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.calendar.cadence import MeetingStatus
from bot.meeting.outputs import kind_text, status_text
from bot.meeting.render import escape, plural
from bot.meeting.report.data import MeetingRecord, ReportData
from bot.meeting.report.figures import EXTRA, Report, status_columns, under_way

ATTENDANCE_RULE = (
    "Present means the person told the bot they were there during the meeting, or "
    "recorded a topic, note, decision or action item in it; apologies sent are counted "
    "apart. An alliance attended when at least one of its people was present. Only "
    "meetings with something recorded count as held."
)
# Column headings of the outputs table: short forms of `STATUS_WORDS`.
STATUS_HEADINGS = {
    "planned": "Planned",
    "drafting": "In drafting",
    "consultation": "Forum Board consultation",
    "review": "General Forum review",
    "adopted": "Adopted",
    "published": "Published",
    "dropped": "Dropped",
}


def day_text(day) -> str:
    return f"{day:%a} {day.day} {day:%b} {day.year}"


def _joined(items: Iterable[str]) -> str:
    return ", ".join(items) or "none"


def meeting_lines(report: Report) -> list[str]:
    held = len(report.held)
    lines = [f"- Held: {held}"]
    if report.unrecorded:
        days = _joined(day_text(m.day) for m in report.unrecorded)
        lines.append(f"- Took place by the calendar, nothing recorded: {days}")
    for m in report.skipped:
        why = f" ({escape(m.reason)})" if m.reason else ""
        lines.append(f"- Skipped: {day_text(m.day)}{why}")
    for m in report.moved:
        since = f" (from {day_text(m.original_start.date())})" if m.original_start else ""
        lines.append(f"- Moved: {day_text(m.day)}{since}")
    for m in report.extra:
        what = (
            "live meeting outside the calendar"
            if m.status == MeetingStatus.ADHOC
            else "extra meeting"
        )
        lines.append(f"- Extra: {day_text(m.day)} ({what})")
    if report.upcoming:
        later_skips = sum(m.status == MeetingStatus.SKIPPED for m in report.upcoming)
        skips = f" (of them {later_skips} skipped)" if later_skips else ""
        lines.append(f"- Still to come in the period: {len(report.upcoming)}{skips}")
    for sub in report.data.subgroups:
        parts = [plural(sub.held, "meeting") + " held"]
        if sub.unrecorded:
            parts.append(f"{sub.unrecorded} with nothing recorded")
        if sub.skipped:
            parts.append(f"{sub.skipped} skipped")
        lines.append(f"- Sub-group {escape(sub.name)}: {', '.join(parts)}")
    return lines


def _held_or_why(report: Report, meeting: MeetingRecord) -> str:
    if meeting.status == MeetingStatus.SKIPPED:
        return "skipped" + (f": {escape(meeting.reason)}" if meeting.reason else "")
    if meeting not in report.held:
        return "nothing recorded"
    if meeting.status == MeetingStatus.MOVED and meeting.original_start:
        return f"held (moved from {day_text(meeting.original_start.date())})"
    return "held (extra)" if meeting.status in EXTRA else "held"


def meeting_table(report: Report) -> list[str]:
    """One row per meeting of the period so far: what the board reads first."""
    data = report.data
    meetings = sorted({*report.held, *report.unrecorded, *report.skipped}, key=lambda m: m.start)
    if not meetings:
        return []
    lines = [
        "| Date | Held | Alliances present | Decisions | Action items opened |",
        "|---|---|---:|---:|---:|",
    ]
    for m in meetings:
        alliances = {a for p in m.present if (a := data.roster.get(p))}
        lines.append(
            f"| {day_text(m.day)} | {_held_or_why(report, m)} | {len(alliances)} "
            f"| {m.decisions} | {m.actions_opened} |"
        )
    return ["", *lines]


def attendance_lines(report: Report) -> list[str]:
    held = len(report.held)
    lines = [
        "| Alliance | Meetings attended | Apologies | Updates sent |",
        "|---|---:|---:|---:|",
    ]
    lines += [
        f"| {escape(a.alliance)} | {a.attended} of {held} | {a.excused} | {a.updates} |"
        for a in report.attendance
    ]
    per_meeting = "; ".join(f"{day_text(m.day)}: {len(m.present)}" for m in report.held)
    lines += ["", f"People present per meeting: {per_meeting or 'no meeting held'}."]
    if report.never_present:
        never = ", ".join(escape(a) for a in report.never_present)
        lines += ["", f"Never present: {never}."]
    lines += ["", f"*{ATTENDANCE_RULE}*"]
    return lines


def update_lines(report: Report) -> list[str]:
    total = len(report.attendance)
    sent = total - len(report.silent)
    lines = [f"{plural(report.updates_total, 'update')} from {sent} of {total} alliances."]
    if report.updates_elsewhere:
        others = plural(report.updates_elsewhere, "more update")
        lines.append(f"{others} came from alliances no longer on the roster.")
    if report.silent:
        lines.append(f"No update from: {', '.join(escape(a) for a in report.silent)}.")
    return lines


def decision_lines(report: Report) -> list[str]:
    return [f"- {day_text(day)}: {escape(text)}" for day, text in report.data.decisions] or [
        "No decisions recorded."
    ]


def action_text(report: Report) -> str:
    a = report.actions
    median = (
        f" (median {a.median_days_to_close:g} days to close)"
        if a.median_days_to_close is not None
        else ""
    )
    return (
        f"{a.opened} opened, {a.closed} closed{median}, {a.dropped} dropped; "
        f"{a.still_open} still open on {day_text(report.cutoff)}, {a.overdue} of them overdue."
    )


def output_lines(report: Report) -> list[str]:
    columns = status_columns(report)
    if not columns:
        return ["No outputs recorded."]
    lines = [
        "| Kind | " + " | ".join(STATUS_HEADINGS[c] for c in columns) + " |",
        "|---|" + "---:|" * len(columns),
    ]
    for kind, counts in report.outputs_by_kind:
        row = " | ".join(str(counts[c]) for c in columns)
        lines.append(f"| {kind_text(kind).capitalize()} | {row} |")
    if report.milestones:
        lines += ["", "Adopted or published in the period:"]
        lines += [
            f"- {day_text(m.day)}: {kind_text(m.kind)} “{escape(m.title)}”, {status_text(m.status)}"
            for m in report.milestones
        ]
    return lines


def prepared(data: ReportData) -> str:
    """Who asked for the report and when: the board reads it on paper."""
    by = f" by {escape(data.prepared_by)}" if data.prepared_by else ""
    return f"Prepared{by} on {day_text(data.today)} for the WP2 Board."


def report_sections(report: Report) -> list[tuple[str, str]]:
    """(name, Markdown) per section, so the HTML can place a chart after one."""
    data = report.data
    title = f"# {escape(data.group_name)}: report to the WP2 Board, {data.period.label}"
    scope = f"{day_text(data.period.first)} to {day_text(data.period.last)}"
    if report.cutoff < data.period.last:
        scope += f", as of {day_text(report.cutoff)}"
    sections = [
        ("title", [title, "", f"Period: {scope}.", "", prepared(data)]),
        ("meetings", ["## Meetings", "", *meeting_lines(report), *meeting_table(report)]),
        ("attendance", ["## Attendance by alliance", "", *attendance_lines(report)]),
        ("updates", ["## Member updates", "", *update_lines(report)]),
        ("decisions", ["## Decisions", "", *decision_lines(report)]),
        ("actions", ["## Action items", "", action_text(report)]),
        ("outputs", ["## Outputs", "", *output_lines(report)]),
    ]
    return [(name, "\n".join(lines)) for name, lines in sections]


def report_markdown(report: Report) -> str:
    return "\n\n".join(text for _, text in report_sections(report)) + "\n"


def report_summary(report: Report) -> str:
    """The chat message: the figures a chair reads out, the rest in the file."""
    data = report.data
    attended = sum(1 for a in report.attendance if a.attended)
    outputs = ", ".join(
        f"{sum(m.status == s for m in report.milestones)} {s}" for s in ("adopted", "published")
    )
    outputs += " in the period"
    going = under_way(report)
    if going:
        named = "; ".join(f"“{escape(title)}” ({status_text(status)})" for title, status in going)
        outputs += f"; under way: {named}"
    lines = [
        f"**{escape(data.group_name)}: report to the WP2 Board, {data.period.label}**",
        f"- Meetings: {len(report.held)} held, {len(report.skipped)} skipped, "
        f"{len(report.extra)} extra",
        f"- Attendance: {attended} of {len(report.attendance)} alliances at least once"
        + (f", {len(report.never_present)} never" if report.never_present else ""),
        f"- Updates: {report.updates_total} from "
        f"{len(report.attendance) - len(report.silent)} of {len(report.attendance)} alliances",
        f"- Decisions: {len(data.decisions)}",
        f"- Action items: {action_text(report)}",
        f"- Outputs: {outputs}",
    ]
    return "\n".join(lines)
