"""The rules of the record, once: the pure functions, and one meeting that
the minutes, `!endmeeting`, the yearly report and the parent's agenda line
must all read the same way (held, present, apologies)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.calendar.cadence import Meeting, MeetingStatus
from bot.chat.transport import Incoming, IncomingKind
from bot.config import GroupConfig
from bot.meeting import record
from bot.meeting.group_calendar import GroupCalendar
from bot.meeting.live import session_meeting
from bot.meeting.record import Item, MeetingFacts, NoteKind
from bot.meeting.report.data import Period
from bot.meeting.report.figures import compile_report
from bot.runtime.calendars import load_calendar
from bot.runtime.minutes_data import gather_minutes
from bot.runtime.report_data import gather_report
from tests.unit.fakes import CONFIG_WITH_CADENCE, make_harness

TZ = ZoneInfo("Europe/Brussels")
START = datetime(2026, 3, 10, 14, 0, tzinfo=TZ)
MEETING = Meeting("2026-03-10T14:00", START, START + timedelta(hours=1))
ANNA, BO, CHAIR, CLEO = (f"@{n}:example.org" for n in ("anna", "bo", "chair", "cleo"))


@dataclass(frozen=True)
class Note:
    kind: str
    author: str
    created_at: datetime


@dataclass(frozen=True)
class Action:
    created_by: str
    created_at: datetime


@dataclass(frozen=True)
class Session:
    meeting_key: str
    closes_at: datetime
    ended_at: datetime | None


def at(minutes: int) -> datetime:
    return START + timedelta(minutes=minutes)


def test_presence_is_here_or_speaking_while_it_ran_and_apologies_never_count():
    facts = MeetingFacts(
        MEETING,
        notes=(
            Note(NoteKind.APOLOGY, CLEO, at(-2000)),
            Note(NoteKind.APOLOGY, BO, at(-2000)),
            Note(NoteKind.HERE, BO, at(5)),
            Note(NoteKind.INFO, CHAIR, at(-30)),  # in the hour before the start
            Note(NoteKind.INFO, ANNA, at(-90)),  # too early: not presence
        ),
        actions=(Action(ANNA, at(200)),),  # after the end, no session: not presence
    )
    assert record.present(facts) == (CHAIR, BO)
    assert record.apologies(facts) == (CLEO,)


def test_a_live_session_that_ran_over_extends_the_time_it_ran():
    session = Session(MEETING.key, at(180), ended_at=at(100))
    facts = MeetingFacts(MEETING, session, actions=(Action(ANNA, at(95)),))
    assert record.present(facts) == (ANNA,)
    assert record.running_until(MEETING, session) == at(100)
    assert record.running_until(MEETING, None) == MEETING.end


@pytest.mark.parametrize(
    ("facts", "held"),
    [
        (MeetingFacts(MEETING), False),
        (MeetingFacts(MEETING, notes=(Note(NoteKind.APOLOGY, BO, at(-60)),)), False),
        (MeetingFacts(MEETING, notes=(Note(NoteKind.INFO, BO, at(10)),)), True),
        (MeetingFacts(MEETING, has_minutes=True), True),
        (MeetingFacts(MEETING, Session(MEETING.key, at(180), None)), True),
        (
            MeetingFacts(
                Meeting(MEETING.key, START, MEETING.end, MeetingStatus.SKIPPED), has_minutes=True
            ),
            False,
        ),
    ],
)
def test_held_needs_the_meeting_to_take_place_and_something_recorded(facts, held):
    assert record.is_held(facts, at(120)) is held
    assert record.is_held(facts, at(-1)) is False  # not started yet


def _calendar() -> GroupCalendar:
    from bot.calendar.cadence import Cadence
    from bot.config.schedule import GroupSchedule

    cadence = Cadence(TZ, one_off=(datetime(2026, 1, 13, 14, 0), datetime(2026, 3, 10, 14, 0)))
    group = GroupConfig("g", "G", "!g:example.org", TZ, schedule=GroupSchedule(cadence=cadence))
    return GroupCalendar(group)


def test_the_previous_meetings_end_and_the_start_of_the_record():
    calendar = _calendar()
    [first, second] = calendar.between(datetime(2026, 1, 1, tzinfo=UTC), at(120))
    assert record.previous_end(calendar, second) == first.end
    assert record.previous_end(calendar, first) == record.RECORD_START


def test_which_meeting_an_item_belongs_to():
    calendar = _calendar()
    after = at(60 + 11 * 60)  # 11 hours after the end
    assert record.meeting_for(Item.NOTE, None, calendar, after) == MEETING.key
    assert record.meeting_for(Item.ACTION, None, calendar, after) == MEETING.key
    assert record.meeting_for(Item.UPDATE, None, calendar, after) == "open"  # no next meeting
    live = Session("adhoc-2026-03-11T09:00", at(3000), None)
    for item in Item:
        assert record.meeting_for(item, live, calendar, after) == live.meeting_key
    before = datetime(2026, 3, 1, tzinfo=UTC)
    assert record.meeting_for(Item.APOLOGY, None, calendar, before) == MEETING.key


def test_a_meeting_its_chair_ended_is_over_before_its_scheduled_end():
    calendar = _calendar()  # meetings 13 January and 10 March 2026, 14:00-15:00
    first = datetime(2026, 1, 13, 14, 0, tzinfo=TZ)
    ended = Session("2026-01-13T14:00", first + timedelta(hours=3), first + timedelta(minutes=40))
    during, after_end = first + timedelta(minutes=30), first + timedelta(minutes=45)
    assert record.meeting_now(calendar, ended, during).key == "2026-01-13T14:00"
    assert record.meeting_now(calendar, ended, after_end).key == MEETING.key
    assert record.meeting_now(calendar, None, after_end).key == "2026-01-13T14:00"
    other = Session("adhoc-2026-01-12T09:00", first, first - timedelta(days=1))
    assert record.meeting_now(calendar, other, after_end).key == "2026-01-13T14:00"
    assert record.meeting_for(Item.UPDATE, ended, calendar, after_end) == MEETING.key
    assert record.meeting_for(Item.APOLOGY, ended, calendar, after_end) == MEETING.key
    assert record.meeting_for(Item.NOTE, ended, calendar, after_end) == "2026-01-13T14:00"


def test_ad_hoc_sessions_are_ad_hoc_meetings():
    @dataclass(frozen=True)
    class Stored:
        meeting_key: str = "adhoc-2026-03-11T09:00"
        start_local: str = "2026-03-11T09:00"
        end_local: str = "2026-03-11T10:00"
        ended_at: datetime | None = None

    assert session_meeting(Stored(), TZ).status == MeetingStatus.ADHOC


SUB_ROOM = "!recognition:example.org"
CONFIG = CONFIG_WITH_CADENCE.replace(
    "[groups.cadence]",
    f'[[groups.members]]\nuser = "{CLEO}"\nalliance = "EUGLOH"\n[groups.cadence]',
    1,
) + (
    f'[[groups]]\nid = "recognition"\nname = "Recognition"\nroom = "{SUB_ROOM}"\n'
    f'parent = "allies"\nchairs = ["{ANNA}"]\n[groups.cadence]\n'
    'dates = ["2026-03-10 14:00", "2026-03-24 14:00"]\n'
)


async def test_minutes_report_endmeeting_and_the_parents_agenda_agree(tmp_path):
    h = await make_harness(tmp_path, CONFIG)
    sub = h.config.groups[1]
    h.core.bind_room(SUB_ROOM, sub)

    async def say(when: datetime, sender: str, body: str):
        h.clock = when.astimezone(UTC)
        return await h.deliver(
            Incoming(IncomingKind.MESSAGE, h.next_id(), SUB_ROOM, sender, h.clock, body)
        )

    try:
        await say(at(-2000), BO, "!apologies travelling")
        await say(at(-2000), CLEO, "!apologies ill")
        await say(at(-5), ANNA, "!startmeeting")
        await say(at(3), BO, "!here")  # apologised, then came: present
        await say(at(10), CHAIR, "!info the RPL survey is out")  # spoke, never said !here
        [ended] = await say(at(70), ANNA, "!endmeeting")
        await say(at(71), ANNA, "!minutes")
        await say(at(14 * 24 * 60 - 3000), CLEO, "!apologies again")  # only this, 24 March
        now = datetime(2026, 3, 30, 9, 0, tzinfo=UTC)

        async with h.core.storage.transaction() as repo:
            calendar = await load_calendar(repo, sub)
            session = await repo.last_session(sub.id)
            meeting = calendar.on_date(date(2026, 3, 10))
            minutes = await gather_minutes(repo, calendar, meeting, session, now)
            data = await gather_report(repo, sub, Period(date(2026, 1, 1), date(2026, 12, 31)), now)
        report = compile_report(data)
        h.clock = now
        [agenda] = await h.say(CHAIR, "!agenda")

        everyone_present = {ANNA, BO, CHAIR}
        assert {p.user for p in minutes.present} == everyone_present
        assert [p.user for p, _ in minutes.apologies] == [CLEO]
        [held] = report.held
        assert held.key == meeting.key
        assert held.present == everyone_present and held.apologies == {CLEO}
        assert [m.day for m in report.unrecorded] == [date(2026, 3, 24)]
        assert "3 present" in ended.body
        line = agenda.body.split("Sub-group reports**")[1]
        assert "met Tue 10 Mar" in line and "nothing recorded for Tue 24 Mar" in line
    finally:
        await h.core.storage.close()
