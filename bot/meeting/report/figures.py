"""Adds a period's record up into the figures the report shows.

The rules, written once here so the chat summary, the Markdown, the HTML and
the charts cannot disagree:

- a meeting is *held* by the record's rule (`bot.meeting.record`); one with
  nothing recorded is listed as such, not counted as held or missed;
  skipped, moved and extra meetings are counted once their day has come,
  later ones are "still to come";
- an alliance *attended* a held meeting when at least one of its people was
  present; people per meeting counts everyone present, guests included;
- an action item counts as *closed* when it was marked done in the period
  (dropped ones are counted apart), *still open* when it was open at the end
  of the period (or today, if that comes first), *overdue* when it was still
  open then with a due date before that day;
- an output's status is the one it had at the end of the period.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from statistics import median

from bot.calendar.cadence import MeetingStatus
from bot.meeting.outputs import KINDS, STATUSES
from bot.meeting.record import counts_as_held
from bot.meeting.report.data import ActionRecord, MeetingRecord, OutputRecord, ReportData

EXTRA = (MeetingStatus.ADDED, MeetingStatus.ADHOC)
ABSENT, EXCUSED, PRESENT = 0, 1, 2
FINISHED_IN_PERIOD = ("adopted", "published")


@dataclass(frozen=True)
class AllianceAttendance:
    alliance: str
    attended: int
    excused: int
    updates: int


@dataclass(frozen=True)
class ActionFigures:
    opened: int
    closed: int
    dropped: int
    still_open: int
    overdue: int
    median_days_to_close: float | None


@dataclass(frozen=True)
class MonthActions:
    month: str  # YYYY-MM
    opened: int
    closed: int


@dataclass(frozen=True)
class OutputMilestone:
    title: str
    kind: str
    status: str
    day: date


@dataclass(frozen=True)
class Report:
    data: ReportData
    cutoff: date
    held: tuple[MeetingRecord, ...]
    unrecorded: tuple[MeetingRecord, ...]
    upcoming: tuple[MeetingRecord, ...]
    skipped: tuple[MeetingRecord, ...]
    moved: tuple[MeetingRecord, ...]
    extra: tuple[MeetingRecord, ...]
    attendance: tuple[AllianceAttendance, ...]
    never_present: tuple[str, ...]
    silent: tuple[str, ...]
    grid: tuple[tuple[int, ...], ...]  # alliance (as in `attendance`) x held meeting
    actions: ActionFigures
    actions_by_month: tuple[MonthActions, ...]
    outputs_by_kind: tuple[tuple[str, Counter[str]], ...]
    milestones: tuple[OutputMilestone, ...]

    @property
    def updates_total(self) -> int:
        """Updates from the roster's alliances (those the table shows)."""
        return sum(a.updates for a in self.attendance)

    @property
    def updates_elsewhere(self) -> int:
        """Updates from alliances no longer on the roster."""
        return sum(self.data.updates.values()) - self.updates_total


def compile_report(data: ReportData) -> Report:
    cutoff = min(data.period.last, data.today)
    started = [m for m in data.meetings if m.start <= data.now]
    past = [m for m in started if m.status != MeetingStatus.SKIPPED]
    held = tuple(m for m in past if counts_as_held(m.status, m.start, m.recorded, data.now))
    alliances = data.alliances
    marks = [_marks(data, m) for m in held]
    grid = tuple(tuple(mark.get(alliance, ABSENT) for mark in marks) for alliance in alliances)
    attendance = tuple(
        AllianceAttendance(
            alliance,
            row.count(PRESENT),
            row.count(EXCUSED),
            data.updates.get(alliance, 0),
        )
        for alliance, row in zip(alliances, grid, strict=True)
    )
    return Report(
        data=data,
        cutoff=cutoff,
        held=held,
        unrecorded=tuple(m for m in past if not m.recorded),
        upcoming=tuple(m for m in data.meetings if m.start > data.now),
        skipped=tuple(m for m in started if m.status == MeetingStatus.SKIPPED),
        moved=tuple(m for m in past if m.status == MeetingStatus.MOVED),
        extra=tuple(m for m in past if m.status in EXTRA),
        attendance=attendance,
        never_present=tuple(a.alliance for a in attendance if held and not a.attended),
        silent=tuple(a.alliance for a in attendance if not a.updates),
        grid=grid,
        actions=_action_figures(data.actions, data, cutoff),
        actions_by_month=_actions_by_month(data.actions, data),
        outputs_by_kind=_outputs_by_kind(data.outputs, cutoff),
        milestones=_milestones(data.outputs, data),
    )


def _marks(data: ReportData, meeting: MeetingRecord) -> dict[str, int]:
    """Alliance -> PRESENT when one of its people was there, else EXCUSED when
    one sent apologies (absent: not in the map). Presence wins."""
    marks = {data.roster.get(person): EXCUSED for person in meeting.apologies}
    marks.update({data.roster.get(person): PRESENT for person in meeting.present})
    return marks


def _open_at(action: ActionRecord, day: date) -> bool:
    return action.opened <= day and (action.closed is None or action.closed > day)


def _action_figures(actions: tuple[ActionRecord, ...], data: ReportData, cutoff: date):
    in_period = data.period.__contains__
    done = [a for a in actions if a.status == "done" and a.closed and in_period(a.closed)]
    still_open = [a for a in actions if _open_at(a, cutoff)]
    days = [(a.closed - a.opened).days for a in done if a.closed]
    return ActionFigures(
        opened=sum(in_period(a.opened) for a in actions),
        closed=len(done),
        dropped=sum(a.status == "dropped" and a.closed and in_period(a.closed) for a in actions),
        still_open=len(still_open),
        overdue=sum(a.due is not None and a.due < cutoff for a in still_open),
        median_days_to_close=median(days) if days else None,
    )


def _months(data: ReportData) -> list[tuple[int, int]]:
    """The (year, month) of each month of the period, up to today."""
    first, last = data.period.first, min(data.period.last, max(data.today, data.period.first))
    months, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _actions_by_month(actions: tuple[ActionRecord, ...], data: ReportData):
    opened = Counter((a.opened.year, a.opened.month) for a in actions if a.opened in data.period)
    closed = Counter(
        (a.closed.year, a.closed.month)
        for a in actions
        if a.status == "done" and a.closed is not None and a.closed in data.period
    )
    return tuple(
        MonthActions(f"{year:04d}-{month:02d}", opened[year, month], closed[year, month])
        for year, month in _months(data)
    )


def _status_at(output: OutputRecord, day: date) -> str | None:
    steps = [s for s in output.steps if s.day <= day]
    return steps[-1].status if steps else None


def _outputs_by_kind(outputs: tuple[OutputRecord, ...], cutoff: date):
    by_kind: dict[str, Counter[str]] = {}
    for output in outputs:
        if (status := _status_at(output, cutoff)) is not None:
            by_kind.setdefault(output.kind, Counter())[status] += 1
    order = {kind: index for index, kind in enumerate(KINDS)}
    return tuple(sorted(by_kind.items(), key=lambda pair: order.get(pair[0], len(order))))


def _milestones(outputs: tuple[OutputRecord, ...], data: ReportData):
    """Each output that reached `adopted` or `published` in the period, once,
    at the last of those it reached (adopted, then published: published).
    A step repeating the status (a link added later) is no new milestone,
    nor is reaching a status again that was reached before."""
    found = []
    for output in outputs:
        reached: set[str] = set()
        previous, last = None, None
        for step in output.steps:
            moved_on = step.status != previous and step.status not in reached
            if moved_on and step.status in FINISHED_IN_PERIOD and step.day in data.period:
                last = OutputMilestone(output.title, output.kind, step.status, step.day)
            reached.add(step.status)
            previous = step.status
        if last is not None:
            found.append(last)
    return tuple(sorted(found, key=lambda m: (m.day, m.title)))


def under_way(report: Report) -> tuple[tuple[str, str], ...]:
    """(title, status) of the outputs neither finished nor dropped on the
    cutoff day: what the group is still working on."""
    found = []
    for output in report.data.outputs:
        status = _status_at(output, report.cutoff)
        if status is not None and status not in (*FINISHED_IN_PERIOD, "dropped"):
            found.append((output.title, status))
    return tuple(found)


def status_columns(report: Report) -> tuple[str, ...]:
    """The statuses that occur, in the order outputs move through them."""
    used = {status for _, counts in report.outputs_by_kind for status in counts}
    return tuple(s for s in STATUSES if s in used)
