"""`!report` through the real core, router, handlers and SQLite storage: a
group holds meetings (live, with `!here`, `!decision`, `!action`, outputs),
skips one, leaves one unrecorded, its sub-group meets; the report's counts
are checked against what happened, its files (chart PNG, HTML) are real,
and bad input gets a clear answer and stores nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.cli.main import main
from storage import models
from tests.unit.fakes import CONFIG_WITH_CADENCE, make_harness
from tests.unit.test_subgroups import SUB_ROOM, SUBGROUP

ANNA, BO, CHAIR, DORA = (f"@{n}:example.org" for n in ("anna", "bo", "chair", "dora"))
ROSTER = CONFIG_WITH_CADENCE.replace(
    "[groups.cadence]",
    f'[[groups.members]]\nuser = "{DORA}"\nalliance = "EUGLOH"\n\n[groups.cadence]',
    1,
)


@pytest.fixture
async def h(tmp_path):
    harness = await make_harness(tmp_path, ROSTER + SUBGROUP)
    harness.core.bind_room(SUB_ROOM, harness.config.groups[1])
    yield harness
    await harness.core.storage.close()


async def hold_the_year(h) -> None:
    """2026: 9 Jan held live, 20 Feb skipped, 3 Apr held live with minutes,
    15 May nothing recorded but apologies; the sub-group meets on 10 March."""
    await h.say_at(datetime(2026, 1, 5, 9, 0, tzinfo=UTC), ANNA, "!update FORTHEM: pilots running")
    await h.say_at(datetime(2026, 1, 6, 9, 0, tzinfo=UTC), BO, "!update CIVIS: survey out")
    await h.say_at(datetime(2026, 1, 7, 9, 0, tzinfo=UTC), ANNA, "!update FORTHEM: and a second")
    await h.say_at(datetime(2026, 1, 9, 9, 55, tzinfo=UTC), CHAIR, "!startmeeting")
    await h.say_at(datetime(2026, 1, 9, 10, 1, tzinfo=UTC), ANNA, "!here")
    await h.say_at(datetime(2026, 1, 9, 10, 2, tzinfo=UTC), BO, "!apologies train delayed")
    await h.say_at(datetime(2026, 1, 9, 10, 20, tzinfo=UTC), CHAIR, "!decision Adopt the work plan")
    await h.say_at(datetime(2026, 1, 9, 10, 25, tzinfo=UTC), CHAIR, f"!action {ANNA} draft paper")
    await h.say_at(datetime(2026, 1, 9, 10, 26, tzinfo=UTC), CHAIR, f"!action {BO} collect cases")
    await h.say_at(
        datetime(2026, 1, 9, 10, 30, tzinfo=UTC), ANNA, "!output add position-paper ULLL"
    )
    await h.say_at(datetime(2026, 1, 9, 10, 50, tzinfo=UTC), CHAIR, "!endmeeting")
    await h.say_at(datetime(2026, 2, 1, 9, 0, tzinfo=UTC), CHAIR, "!skip 20 Feb 2026 General Forum")
    await h.say_at(datetime(2026, 2, 10, 9, 0, tzinfo=UTC), ANNA, "!done 1")
    await h.say_at(datetime(2026, 3, 10, 13, 5, tzinfo=UTC), ANNA, "!startmeeting", SUB_ROOM)
    await h.say_at(datetime(2026, 3, 10, 13, 9, tzinfo=UTC), ANNA, "!decision Map RPL", SUB_ROOM)
    await h.say_at(datetime(2026, 3, 10, 13, 50, tzinfo=UTC), ANNA, "!endmeeting", SUB_ROOM)
    await h.say_at(datetime(2026, 4, 3, 8, 58, tzinfo=UTC), CHAIR, "!startmeeting")
    await h.say_at(datetime(2026, 4, 3, 9, 2, tzinfo=UTC), BO, "!here")
    await h.say_at(datetime(2026, 4, 3, 9, 5, tzinfo=UTC), CHAIR, "!output 1 review")
    await h.say_at(datetime(2026, 4, 3, 9, 6, tzinfo=UTC), CHAIR, "!output 1 adopted")
    await h.say_at(datetime(2026, 4, 3, 9, 10, tzinfo=UTC), CHAIR, "!decision Publish <b>it</b>")
    await h.say_at(datetime(2026, 4, 3, 9, 50, tzinfo=UTC), CHAIR, "!minutes")
    await h.say_at(datetime(2026, 4, 3, 9, 55, tzinfo=UTC), CHAIR, "!endmeeting")
    # apologies for 15 May, a meeting nobody then runs: it is not "held" for that
    await h.say_at(datetime(2026, 5, 14, 9, 0, tzinfo=UTC), BO, "!apologies at a conference")


BOOKKEEPING = ("processed_events", "outbox")  # every command is marked handled, its reply queued


async def record_rows(h) -> dict[str, int]:
    """Rows per table of the group's record (everything but the bookkeeping)."""
    tables = [
        m
        for m in vars(models).values()
        if getattr(m, "__tablename__", None) not in (None, *BOOKKEEPING)
    ]
    async with h.core.storage.transaction() as repo:
        return {
            t.__tablename__: await repo.session.scalar(select(func.count()).select_from(t))
            for t in tables
        }


async def test_report_posts_summary_chart_and_html_with_the_right_counts(h):
    await hold_the_year(h)
    replies = await h.say_at(datetime(2026, 6, 1, 9, 0, tzinfo=UTC), CHAIR, "!report")
    summary, chart, page = replies
    body = summary.body
    assert body.startswith("**ALLIES: report to the WP2 Board, 2026**")
    assert "Meetings: 2 held, 1 skipped, 0 extra" in body
    assert "Attendance: 2 of 3 alliances at least once, 1 never" in body  # EUGLOH never
    assert "Updates: 3 from 2 of 3 alliances" in body
    assert "Decisions: 2" in body
    assert "2 opened, 1 closed (median 32 days to close), 0 dropped" in body
    assert "1 still open on Mon 1 Jun 2026, 0 of them overdue" in body
    assert "Outputs: 1 adopted, 0 published in the period" in body
    assert chart.file.name == "allies-report-2026.png" and chart.file.mimetype == "image/png"
    assert chart.file.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert page.file.name == "allies-report-2026.html"
    html = page.file.data.decode()
    assert html.count("<svg") == 2 and "<script" not in html
    assert "Publish &lt;b&gt;it&lt;/b&gt;" in html and "<b>it</b>" not in html
    assert "Prepared by @chair:example.org on Mon 1 Jun 2026 for the WP2 Board." in html
    assert "Took place by the calendar, nothing recorded: Fri 15 May 2026" in html
    assert "Skipped: Fri 20 Feb 2026 (General Forum)" in html
    assert "Sub-group Recognition of prior learning: 1 meeting held" in html
    assert '<td>EUGLOH</td>\n<td style="text-align:right">0 of 2</td>' in html
    assert "Fri 9 Jan 2026: 2; Fri 3 Apr 2026: 2" in html  # chair + anna; chair + bo


async def test_report_for_another_period_and_bad_periods(h):
    await hold_the_year(h)
    h.clock = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    before = await record_rows(h)
    assert before["meeting_notes"] and before["action_items"] and before["outputs"]
    spring, _, _ = await h.say(CHAIR, "!report 1 March 2026 to 30 April 2026")
    assert spring.body.startswith("**ALLIES: report to the WP2 Board, 1 Mar 2026 – 30 Apr 2026")
    assert "Meetings: 1 held, 0 skipped" in spring.body
    [backwards] = await h.say(CHAIR, "!report 30 April 2026 to 1 March 2026")
    assert "ends (1 Mar 2026) before it starts (30 Apr 2026)" in backwards.body
    [unreadable] = await h.say(CHAIR, "!report last spring-ish")
    assert "is not a period I can read" in unreadable.body
    assert "Usage: `!report [year | <from> to <to>]`" in unreadable.body
    [bad_day] = await h.say(CHAIR, "!report 1 Smarch 2026 to 3 May 2026")
    assert "is not a date I can read" in bad_day.body
    [empty] = await h.say(CHAIR, "!report 2024")
    assert empty.body == "ALLIES has no meetings on record in 2024: there is nothing to report."
    [prior] = await h.say(CHAIR, "!report 2025")  # the calendar's, before the record began
    assert prior.body == "ALLIES has no meetings on record in 2025: there is nothing to report."
    [future] = await h.say(CHAIR, "!report 2027")
    assert future.body == "2027 has not started yet: there is nothing to report."
    [member] = await h.say(ANNA, "!report")
    assert "is for" in member.body and "chairs" in member.body
    assert await record_rows(h) == before


async def test_the_shell_report_prints_the_same_figures(h, tmp_path, capsys):
    await hold_the_year(h)
    h.clock = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    summary = (await h.say(CHAIR, "!report 1 January 2026 to 31 May 2026"))[0].body
    args = ["--config", str(h.config.path), "--group", "allies"]
    period = ["--from", "2026-01-01", "--to", "2026-05-31"]
    assert await asyncio.to_thread(main, ["report", *args, *period]) == 0
    markdown = capsys.readouterr().out
    assert markdown.startswith("# ALLIES: report to the WP2 Board, 1 Jan 2026 – 31 May 2026\n")
    assert "- Held: 2\n" in markdown and "| EUGLOH | 0 of 2 | 0 | 0 |" in markdown
    assert "| Fri 9 Jan 2026 | held | 1 | 1 | 2 |" in markdown  # 1 alliance, 1 decision, 2 actions
    assert "| Fri 20 Feb 2026 | skipped: General Forum | 0 | 0 | 0 |" in markdown
    assert "| CIVIS | 1 of 2 | 1 | 1 |" in markdown and "| FORTHEM | 2 of 2 | 0 | 2 |" in markdown
    assert "- Fri 3 Apr 2026: Publish \\<b\\>it\\</b\\>" in markdown
    actions = summary.split("Action items: ")[1].split(".")[0]
    assert actions.split("; ")[0] in markdown  # "2 opened, 1 closed (median 32 days …)"
    out = tmp_path / "report.html"
    html_args = ["report", *args, *period, "--format", "html", "--out", str(out)]
    assert await asyncio.to_thread(main, html_args) == 0
    assert out.read_text().count("<svg") == 2


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        (["--from", "2026-05-01", "--to", "2026-01-01"], "ends (1 Jan 2026) before it starts"),
        (["--from", "2026-05-01"], "--from and --to go together"),
        (["--year", "2026", "--to", "2026-01-01"], "either --year or --from/--to"),
        (["--from", "1 May", "--to", "2026-06-01"], "--from"),
        (["--year", "2024"], "no meetings in 2024, nothing to report"),
        (["--group", "nope"], "--group: no group 'nope'"),
    ],
)
async def test_the_shell_report_refuses_bad_periods_clearly(h, capsys, extra, problem):
    args = [
        "report",
        "--config",
        str(h.config.path),
        *(["--group", "allies"] * ("--group" not in extra)),
        *extra,
    ]
    assert await asyncio.to_thread(main, args) == 2
    assert problem in capsys.readouterr().err


async def test_a_subgroup_that_never_met_has_nothing_recorded_to_report(h):
    await h.say_at(datetime(2026, 1, 9, 9, 55, tzinfo=UTC), CHAIR, "!startmeeting")
    await h.say_at(datetime(2026, 1, 9, 10, 1, tzinfo=UTC), ANNA, "!here")
    await h.say_at(datetime(2026, 1, 9, 10, 50, tzinfo=UTC), CHAIR, "!endmeeting")
    _, _, page = await h.say_at(datetime(2026, 6, 1, 9, 0, tzinfo=UTC), CHAIR, "!report")
    html = page.file.data.decode()
    line = html.split("Sub-group Recognition of prior learning: ")[1].split("<")[0]
    assert line == "0 meetings held"  # its three calendar dates predate its record
