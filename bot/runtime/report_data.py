"""Gathers one group's record for a period into the pure `ReportData`.

The only place the report touches storage (a handful of queries for the
whole period, whatever its length). Held, present and apologies are the
record's rules (`bot.meeting.record`), asked with what is stored for each
meeting.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from bot.calendar.cadence import Meeting, MeetingStatus, localize
from bot.config import GroupConfig
from bot.meeting.live import session_meeting
from bot.meeting.people import represented
from bot.meeting.record import (
    RECORD_START,
    MeetingFacts,
    NoteKind,
    apologies,
    is_held,
    present,
    was_recorded,
)
from bot.meeting.report.data import (
    ActionRecord,
    MeetingRecord,
    OutputRecord,
    OutputStep,
    Period,
    ReportData,
    SubgroupRecord,
)
from bot.runtime.calendars import load_calendar, load_names
from storage.repo import Repo
from storage.repo_meetings import StoredSession
from storage.repo_report import KeyedNote, ReportAction


@dataclass
class _PeriodMeetings:
    """A group's meetings starting in the period, with what is stored about them."""

    meetings: list[Meeting]
    statuses: dict[str, str]
    sessions: dict[str, StoredSession]
    notes: dict[str, list[KeyedNote]]
    minutes: set[str]

    def facts(self, meeting: Meeting, actions: Sequence[ReportAction] = ()) -> MeetingFacts:
        """What is stored for one meeting, as the record's rules read it."""
        key = meeting.key
        notes = self.notes.get(key, [])
        return MeetingFacts(meeting, self.sessions.get(key), notes, actions, key in self.minutes)


def period_bounds(group: GroupConfig, period: Period) -> tuple[datetime, datetime]:
    """Local midnight of the first day to local midnight after the last."""
    tz = group.timezone
    since = localize(datetime.combine(period.first, time.min), tz)
    until = localize(datetime.combine(period.last + timedelta(days=1), time.min), tz)
    return since, until


async def _period_meetings(
    repo: Repo, group: GroupConfig, since: datetime, until: datetime
) -> _PeriodMeetings:
    calendar = await load_calendar(repo, group)
    scheduled = [
        m for m in calendar.between(since, until, include_skipped=True) if since <= m.start < until
    ]
    sessions = {s.meeting_key: s for s in await repo.sessions_between(group.id, since, until)}
    known = {m.key for m in scheduled}
    adhoc = [session_meeting(s, group.timezone) for key, s in sessions.items() if key not in known]
    found = sorted([*scheduled, *adhoc], key=lambda m: m.start)
    statuses = {m.key: m.status for m in scheduled} | {m.key: MeetingStatus.ADHOC for m in adhoc}
    keys = [m.key for m in found]
    notes: dict[str, list[KeyedNote]] = defaultdict(list)
    for note in await repo.notes_for_meetings(group.id, keys):
        notes[note.meeting_key].append(note)
    minutes = await repo.minutes_keys(group.id, keys)
    return _PeriodMeetings(found, statuses, sessions, notes, minutes)


def _since_the_record_began(record: MeetingRecord, began: datetime | None) -> bool:
    """A meeting before the group's first recorded one is not the bot's to
    report as "nothing recorded": the group did not use it yet."""
    if record.recorded or record.status == MeetingStatus.SKIPPED:
        return True
    return began is not None and record.start >= began


def _record(found: _PeriodMeetings, meeting: Meeting, actions: list[ReportAction]) -> MeetingRecord:
    facts = found.facts(meeting, actions)
    there = frozenset(present(facts))
    return MeetingRecord(
        key=meeting.key,
        start=meeting.start,
        status=found.statuses[meeting.key],
        recorded=was_recorded(facts),
        reason=meeting.reason,
        original_start=meeting.original_start,
        present=there,
        apologies=frozenset(apologies(facts, there)),
        decisions=sum(n.kind == NoteKind.DECISION for n in found.notes.get(meeting.key, [])),
        actions_opened=len(actions),
    )


def _roster(group: GroupConfig, records: tuple[MeetingRecord, ...]) -> dict[str, str]:
    """Who represents which alliance: the config's roster, and the anonymous
    stand-ins erasure and retention left with their alliance (`represented`),
    so attendance still counts per alliance."""
    roster = {m.user: m.alliance for m in group.members}
    for person in set().union(*(record.present | record.apologies for record in records)):
        if (alliance := represented(group, person)) is not None:
            roster[person] = alliance
    return roster


def _action(action: ReportAction, group: GroupConfig) -> ActionRecord:
    tz = group.timezone
    closed = action.closed_at.astimezone(tz).date() if action.closed_at else None
    return ActionRecord(
        action.id, action.created_at.astimezone(tz).date(), action.status, closed, action.due
    )


async def _outputs(repo: Repo, group: GroupConfig) -> tuple[OutputRecord, ...]:
    steps: dict[int, list[OutputStep]] = defaultdict(list)
    for change in await repo.output_changes(group.id, RECORD_START):
        day = change.changed_at.astimezone(group.timezone).date()
        steps[change.output_id].append(OutputStep(change.status, day))
    return tuple(
        OutputRecord(o.id, o.kind, o.title, tuple(steps[o.id]), o.link)
        for o in await repo.outputs(group.id)
    )


async def _subgroup(repo: Repo, sub: GroupConfig, period: Period, now: datetime) -> SubgroupRecord:
    found = await _period_meetings(repo, sub, *period_bounds(sub, period))
    started = [m for m in found.meetings if m.start <= now]
    taking_place = [m for m in started if m.status != MeetingStatus.SKIPPED]
    held = [is_held(found.facts(m), now) for m in taking_place]
    began = await repo.first_record(sub.id)
    unrecorded = sum(
        not was and began is not None and m.start >= began
        for m, was in zip(taking_place, held, strict=True)
    )
    skipped = len(started) - len(taking_place)
    return SubgroupRecord(sub.name, sum(held), unrecorded, skipped)


async def gather_report(
    repo: Repo, group: GroupConfig, period: Period, now: datetime, prepared_by: str = ""
) -> ReportData:
    """Everything the report to WP2 says of `period`, as of `now`; who asked
    for it (`prepared_by`, an id) is named on its title page."""
    since, until = period_bounds(group, period)
    found = await _period_meetings(repo, group, since, until)
    by_meeting: dict[str, list[ReportAction]] = defaultdict(list)
    keys = [m.key for m in found.meetings]
    actions = await repo.actions_for_period(group.id, since, until, keys)
    for action in actions:
        by_meeting[action.meeting_key].append(action)
    began = await repo.first_record(group.id)
    records = tuple(
        record
        for m in found.meetings
        if _since_the_record_began(record := _record(found, m, by_meeting[m.key]), began)
    )
    decisions = tuple(
        (note.created_at.astimezone(group.timezone).date(), note.text)
        for m in found.meetings
        for note in found.notes.get(m.key, [])
        if note.kind == NoteKind.DECISION and note.created_at <= now
    )
    return ReportData(
        group_name=group.name,
        period=period,
        now=now.astimezone(group.timezone),
        roster=_roster(group, records),
        meetings=records,
        updates=await repo.updates_per_alliance(group.id, since, until),
        decisions=decisions,
        actions=tuple(_action(a, group) for a in actions),
        outputs=await _outputs(repo, group),
        subgroups=tuple([await _subgroup(repo, sub, period, now) for sub in group.subgroups]),
        names=(names := await load_names(repo, group)),
        prepared_by=names.of(prepared_by) if prepared_by else "",
    )
