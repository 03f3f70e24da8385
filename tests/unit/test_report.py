"""The report compiler, pure: golden Markdown and HTML for a year with every
kind of meeting, the counting rules one by one, the period parser, and the
charts (repeatable SVG, member text inert, matplotlib kept out of the bot).

Regenerate the golden files after an intended change with
`UPDATE_GOLDEN=1 pytest tests/unit/test_report.py`, then read the diff.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.calendar.dates import DateSettings
from bot.meeting.report.charts import chart_input, draw
from bot.meeting.report.data import (
    ActionRecord,
    MeetingRecord,
    OutputRecord,
    OutputStep,
    Period,
    ReportData,
    SubgroupRecord,
)
from bot.meeting.report.figures import ABSENT, EXCUSED, PRESENT, compile_report
from bot.meeting.report.html import report_html
from bot.meeting.report.markdown import report_markdown, report_summary
from bot.meeting.report.period import PeriodError, parse_period
from tests.unit.test_minutes import check_golden

BRUSSELS = ZoneInfo("Europe/Brussels")
ANNA, BO, CARLA, DORA, GUEST = (f"@{n}:example.org" for n in ("anna", "bo", "carla", "dora", "g"))
ROSTER = {ANNA: "FORTHEM", BO: "CIVIS", CARLA: "CIVIS", DORA: "Una Europa <script>"}
SVG = '<?xml version="1.0"?>\n<!DOCTYPE svg>\n<svg xmlns="http://www.w3.org/2000/svg"></svg>\n'


def at(month: int, day: int, hour: int = 11) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=BRUSSELS)


def meeting(month, day, status="scheduled", recorded=True, **kwargs) -> MeetingRecord:
    start = at(month, day)
    key = kwargs.pop("key", f"{start:%Y-%m-%dT%H:%M}")
    return MeetingRecord(key, start, status, recorded, **kwargs)


def year_data(**changes) -> ReportData:
    fields = dict(
        group_name="ALLIES *topical* group",
        period=Period(date(2026, 1, 1), date(2026, 12, 31)),
        now=datetime(2026, 6, 30, 12, 0, tzinfo=BRUSSELS),
        roster=ROSTER,
        meetings=(
            meeting(
                1,
                9,
                present=frozenset({ANNA, BO, GUEST}),
                apologies=frozenset({DORA}),
                decisions=1,
                actions_opened=2,
            ),
            meeting(2, 20, "skipped", False, reason="General Forum [week]"),
            meeting(
                4,
                3,
                "moved",
                original_start=at(3, 27),
                present=frozenset({ANNA, CARLA}),
                decisions=1,
                actions_opened=2,
            ),
            meeting(4, 22, "adhoc", key="adhoc-2026-04-22T15:00", present=frozenset({ANNA})),
            meeting(5, 15, recorded=False),
            meeting(9, 4),  # after today: still to come
            meeting(10, 16, "skipped", False, reason="later"),  # a skip still to come
        ),
        updates={"FORTHEM": 4, "CIVIS": 1, "Left the group": 2},
        decisions=((date(2026, 1, 9), "Adopt the *work plan*"), (date(2026, 4, 3), "@room go")),
        actions=(
            ActionRecord(1, date(2026, 1, 9), "done", date(2026, 2, 10)),
            ActionRecord(2, date(2026, 1, 9), "done", date(2026, 4, 3)),
            ActionRecord(3, date(2026, 4, 3), "open", due=date(2026, 5, 1)),
            ActionRecord(4, date(2026, 4, 3), "dropped", date(2026, 4, 22)),
            ActionRecord(5, date(2025, 11, 28), "open"),
            ActionRecord(6, date(2025, 10, 17), "done", date(2025, 12, 1)),
        ),
        outputs=(
            OutputRecord(
                1,
                "position-paper",
                "Micro-credentials <i>now</i>",
                (
                    OutputStep("planned", date(2025, 11, 1)),
                    OutputStep("consultation", date(2026, 2, 1)),
                    OutputStep("adopted", date(2026, 4, 3)),
                    OutputStep("adopted", date(2026, 4, 5)),  # a link added: not a second adoption
                ),
            ),
            OutputRecord(2, "guideline", "RPL guide", (OutputStep("planned", date(2026, 3, 1)),)),
            OutputRecord(3, "guideline", "Later", (OutputStep("planned", date(2026, 8, 1)),)),
        ),
        subgroups=(SubgroupRecord("Recognition", 2, 1, 0), SubgroupRecord("Data", 0, 0, 1)),
    )
    return ReportData(**(fields | changes))


def test_golden_markdown_and_html():
    report = compile_report(year_data())
    check_golden("report_year.md", report_markdown(report))
    html = report_html(report, {"attendance": SVG, "actions": SVG})
    check_golden("report_year.html", html)


def test_meetings_are_counted_by_the_rules():
    report = compile_report(year_data())
    assert [m.day.isoformat() for m in report.held] == ["2026-01-09", "2026-04-03", "2026-04-22"]
    assert [m.day.day for m in report.unrecorded] == [15]
    assert [m.day.month for m in report.upcoming] == [9, 10]
    assert [m.reason for m in report.skipped] == ["General Forum [week]"]
    assert len(report.moved) == 1 and [m.status for m in report.extra] == ["adhoc"]


def test_a_meeting_later_today_has_not_started():
    data = year_data(now=datetime(2026, 4, 3, 10, 59, tzinfo=BRUSSELS))
    report = compile_report(data)
    assert [m.day.isoformat() for m in report.held] == ["2026-01-09"]
    assert [m.day.isoformat() for m in report.upcoming][:2] == ["2026-04-03", "2026-04-22"]
    assert not report.moved and not report.extra


def test_a_link_added_later_is_no_second_milestone():
    steps = (
        OutputStep("planned", date(2025, 11, 1)),
        OutputStep("published", date(2025, 12, 10)),
        OutputStep("published", date(2026, 1, 2)),  # the link, next year
        OutputStep("adopted", date(2026, 1, 3)),  # a correction back ...
        OutputStep("published", date(2026, 1, 4)),  # ... and published again
    )
    report = compile_report(year_data(outputs=(OutputRecord(9, "report", "R", steps),)))
    assert [(m.status, m.day) for m in report.milestones] == [("adopted", date(2026, 1, 3))]


def test_an_output_adopted_then_published_is_listed_once_at_its_last_status():
    steps = (
        OutputStep("planned", date(2025, 11, 1)),
        OutputStep("review", date(2026, 2, 1)),
        OutputStep("adopted", date(2026, 3, 6)),
        OutputStep("published", date(2026, 5, 2)),
    )
    report = compile_report(year_data(outputs=(OutputRecord(9, "report", "R", steps),)))
    assert [(m.status, m.day) for m in report.milestones] == [("published", date(2026, 5, 2))]
    assert report_markdown(report).count("“R”") == 1


def test_attendance_by_alliance_with_apologies_and_guests():
    report = compile_report(year_data())
    by_alliance = {a.alliance: (a.attended, a.excused, a.updates) for a in report.attendance}
    assert by_alliance == {
        "CIVIS": (2, 0, 1),
        "FORTHEM": (3, 0, 4),
        "Una Europa <script>": (0, 1, 0),
    }
    assert report.never_present == ("Una Europa <script>",)
    assert report.silent == ("Una Europa <script>",)
    assert report.grid == ((PRESENT, PRESENT, ABSENT), (PRESENT,) * 3, (EXCUSED, ABSENT, ABSENT))
    assert [len(m.present) for m in report.held] == [3, 2, 1]  # the guest counts as a person


def test_action_items_opened_closed_open_overdue_and_median():
    actions = compile_report(year_data()).actions
    assert (actions.opened, actions.closed, actions.dropped) == (4, 2, 1)
    assert (actions.still_open, actions.overdue) == (2, 1)  # #3 (due 1 May) and #5
    assert actions.median_days_to_close == (32 + 84) / 2


def test_still_open_counts_at_the_end_of_a_past_period():
    data = year_data(period=Period(date(2026, 1, 1), date(2026, 3, 31)))
    report = compile_report(data)
    assert report.cutoff == date(2026, 3, 31)
    assert report.actions.still_open == 2  # #2 (closed in April) and #5; #1 was closed
    assert [m.month for m in report.actions_by_month] == ["2026-01", "2026-02", "2026-03"]


def test_outputs_by_status_at_the_end_and_milestones_once():
    report = compile_report(year_data())
    assert [(kind, dict(counts)) for kind, counts in report.outputs_by_kind] == [
        ("position-paper", {"adopted": 1}),
        ("guideline", {"planned": 1}),  # "Later" was created after the cut-off
    ]
    assert [(m.title, m.status, m.day) for m in report.milestones] == [
        ("Micro-credentials <i>now</i>", "adopted", date(2026, 4, 3))
    ]


def test_updates_from_alliances_off_the_roster_are_said_apart():
    markdown = report_markdown(compile_report(year_data()))
    assert "5 updates from 2 of 3 alliances.\n2 more updates came from alliances no longer" in (
        markdown
    )


def test_member_text_is_inert_everywhere():
    report = compile_report(year_data())
    markdown = report_markdown(report)
    html = report_html(report)
    assert "<script>" not in html and "<i>now</i>" not in html and "@room" not in html
    assert (
        "Una Europa &lt;script&gt;" in html and "Micro-credentials &lt;i&gt;now&lt;/i&gt;" in html
    )
    assert "Adopt the \\*work plan\\*" in markdown and "<em>work plan</em>" not in html
    assert "General Forum \\[week\\]" in markdown
    summary = report_summary(report)
    assert summary.startswith("**ALLIES \\*topical\\* group: report to the WP2 Board, 2026**")
    assert summary.endswith("published in the period; under way: “RPL guide” (planned)")


def test_summary_has_the_figures_a_chair_reads_out():
    summary = report_summary(compile_report(year_data()))
    assert "- Meetings: 3 held, 1 skipped, 1 extra" in summary
    assert "- Attendance: 2 of 3 alliances at least once, 1 never" in summary
    assert "- Updates: 5 from 2 of 3 alliances" in summary
    assert "- Decisions: 2" in summary
    assert "- Outputs: 1 adopted, 0 published in the period" in summary


NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
SETTINGS = DateSettings(BRUSSELS, ("en", "de"), "DMY")


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("", date(2026, 1, 1), date(2026, 12, 31)),
        ("2025", date(2025, 1, 1), date(2025, 12, 31)),
        ("1 January 2026 to 30 June 2026", date(2026, 1, 1), date(2026, 6, 30)),
        ("from 2026-01-01 until 2026-06-30", date(2026, 1, 1), date(2026, 6, 30)),
        ("01.03.2026 - 31.03.2026", date(2026, 3, 1), date(2026, 3, 31)),
        (
            "5. Mai 2026 bis 6. Mai 2026".replace(" bis ", " to "),
            date(2026, 5, 5),
            date(2026, 5, 6),
        ),
        ("1 January to 30 June", date(2026, 1, 1), date(2026, 6, 30)),  # looking back
        ("1 September to 31 December", date(2026, 9, 1), date(2026, 12, 31)),
        ("1 November 2025 to 28 February", date(2025, 11, 1), date(2026, 2, 28)),
        ("01.03.26 to 31.03.26", date(2026, 3, 1), date(2026, 3, 31)),
    ],
)
def test_periods_a_chair_can_ask_for(text, first, last):
    period = parse_period(text, SETTINGS, NOW)
    assert (period.first, period.last) == (first, last)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("30 June 2026 to 1 January 2026", "ends (1 Jan 2026) before it starts (30 Jun 2026)"),
        ("last spring", "is not a period I can read"),
        ("1 Smarch 2026 to 1 May 2026", "is not a date I can read"),
        ("2017-01-01 to 2030-01-01", "at most 10 years"),
        ("0999", "not a year I can report on"),
    ],
)
def test_periods_refused_with_a_reason(text, problem):
    with pytest.raises(PeriodError) as caught:
        parse_period(text, SETTINGS, NOW)
    assert problem in str(caught.value)


def test_period_label_is_the_year_or_both_days():
    assert Period(date(2026, 1, 1), date(2026, 12, 31)).label == "2026"
    assert Period(date(2025, 1, 1), date(2026, 12, 31)).label == "1 Jan 2025 – 31 Dec 2026"
    with pytest.raises(ValueError):
        Period(date(2026, 2, 1), date(2026, 1, 1))


def test_svg_charts_are_repeatable_and_escape_names():
    data = chart_input(compile_report(year_data()))
    first, second = draw(data, "svg", "attendance"), draw(data, "svg", "attendance")
    assert first == second
    assert b"Una Europa &lt;script&gt;" in first and b"<script>" not in first
    assert draw(data, "png", "both").startswith(b"\x89PNG")
    assert data.grid == [[2, 2, 0], [2, 2, 2], [1, 0, 0]]


def test_a_dollar_in_a_name_is_text_not_a_formula():
    roster = {ANNA: "A$\\foo$B", BO: "CIVIS"}
    data = chart_input(compile_report(year_data(roster=roster, group_name="$x^2$ group")))
    svg = draw(data, "svg", "both")
    assert b"A$\\foo$B" in svg and b"$x^2$ group" in svg


def test_a_period_without_meetings_draws_a_note_not_a_crash():
    data = chart_input(compile_report(year_data(meetings=())))
    assert b"No meeting held in the period" in draw(data, "svg", "attendance")


def test_the_running_bot_does_not_load_matplotlib():
    code = (
        "import sys, handlers, bot.cli.app, bot.runtime.charts, bot.meeting.report.charts;"
        "handlers.build_router();"
        "print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
