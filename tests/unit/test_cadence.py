"""The meeting calendar: the ALLIES cadence, DST, breaks, overrides, parsing."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.relativedelta import relativedelta
from dateutil.rrule import MONTHLY, WEEKLY
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.calendar.cadence import (
    Cadence,
    Meeting,
    Override,
    localize,
    meeting_by_date,
    meeting_key,
    meetings,
    next_meeting,
)
from bot.calendar.timeparse import (
    Every,
    parse_date,
    parse_duration,
    parse_every,
    parse_local_datetime,
)

BRUSSELS = ZoneInfo("Europe/Brussels")
EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
FAR = datetime(2035, 1, 1, tzinfo=UTC)


def allies(**changes: object) -> Cadence:
    """The ALLIES cadence from the config example; keyword arguments replace fields."""
    fields: dict[str, object] = {
        "timezone": BRUSSELS,
        "one_off": (datetime(2025, 5, 9, 11), datetime(2025, 6, 13, 11)),
        "start": datetime(2025, 9, 5, 11),
        "every": parse_every("6 weeks"),
        "duration": parse_duration("1h"),
        "breaks": [(date(2026, 7, 1), date(2026, 8, 31))],
        "until": date(2028, 10, 31),
    }
    fields.update(changes)
    return Cadence(**fields)  # type: ignore[arg-type]


def local(text: str) -> datetime:
    return parse_local_datetime(text)


def at(text: str) -> datetime:
    """An aware Brussels instant from 'YYYY-MM-DD HH:MM'."""
    return localize(local(text), BRUSSELS)


def keys(found: list[Meeting]) -> list[str]:
    return [m.key for m in found]


def key_of(meeting: Meeting | None) -> str | None:
    return None if meeting is None else meeting.key


# --- the ALLIES calendar ---------------------------------------------------------


def test_allies_first_meetings() -> None:
    found = meetings(allies(), after=EPOCH, count=7)
    assert keys(found) == [
        "2025-05-09T11:00",
        "2025-06-13T11:00",
        "2025-09-05T11:00",
        "2025-10-17T11:00",
        "2025-11-28T11:00",
        "2026-01-09T11:00",
        "2026-02-20T11:00",
    ]
    for meeting in found:
        assert meeting.start.tzinfo is BRUSSELS
        assert meeting.start.weekday() == 4  # Friday
        assert meeting.start.time() == time(11, 0)
        assert meeting.end - meeting.start == timedelta(hours=1)
        assert meeting.status == "scheduled"


def test_utc_offsets_both_sides_of_dst() -> None:
    added = [Override("add", new=local(f"2026-03-{day} 11:00")) for day in (27, 30)]
    found = {m.key: m for m in meetings(allies(), after=EPOCH, count=12, overrides=added)}
    expected_utc = {
        "2025-10-17T11:00": "09:00",  # still summer time (switch on 26 October)
        "2025-11-28T11:00": "10:00",
        "2026-01-09T11:00": "10:00",
        "2026-03-27T11:00": "10:00",  # Friday before the 29 March switch
        "2026-03-30T11:00": "09:00",  # Monday after it
        "2026-04-03T11:00": "09:00",
    }
    for key, utc in expected_utc.items():
        assert found[key].start_utc.strftime("%H:%M") == utc, key
        assert found[key].start.strftime("%H:%M") == "11:00", key


def test_break_drops_meetings_and_grid_resumes_on_start() -> None:
    found = meetings(allies(), after=at("2026-06-01 00:00"), count=3)
    # 2026-08-07 (six weeks after 26 June) falls in the break and is dropped.
    assert keys(found) == ["2026-06-26T11:00", "2026-09-18T11:00", "2026-10-30T11:00"]
    anchor = date(2025, 9, 5)
    assert all((m.start.date() - anchor).days % 42 == 0 for m in found)
    without_break = meetings(allies(breaks=()), after=at("2026-06-01 00:00"), count=3)
    assert "2026-08-07T11:00" in keys(without_break)


def test_break_keeps_one_off_dates() -> None:
    cadence = allies(one_off=(datetime(2026, 8, 7, 11),))  # a grid date, but explicit
    found = meetings(cadence, after=at("2026-07-01 00:00"), until=at("2026-09-01 00:00"))
    assert keys(found) == ["2026-08-07T11:00"]


def test_until_is_inclusive_and_ends_the_grid() -> None:
    found = meetings(allies(), after=EPOCH, until=FAR)
    assert found[-1].start.date() <= date(2028, 10, 31)
    assert found[-1].start.date() + timedelta(weeks=6) > date(2028, 10, 31)
    assert meetings(allies(), after=at("2028-11-01 00:00"), until=FAR) == []
    weekly = Cadence(
        BRUSSELS, start=local("2025-01-03 11:00"), every=Every(1, "week"), until=date(2025, 1, 17)
    )
    assert keys(meetings(weekly, after=EPOCH)) == [
        "2025-01-03T11:00",
        "2025-01-10T11:00",
        "2025-01-17T11:00",
    ]


def test_open_ended_cadence_needs_count_or_until() -> None:
    with pytest.raises(ValueError, match="count or until"):
        meetings(allies(until=None), after=EPOCH)
    assert len(meetings(allies(until=None), after=EPOCH, count=100)) == 100


def test_after_is_exclusive_of_finished_meetings_only() -> None:
    # In progress at `after` (11:30) is listed; ended exactly at `after` (12:00) is not.
    assert keys(meetings(allies(), after=at("2025-09-05 11:30"), count=1)) == ["2025-09-05T11:00"]
    assert keys(meetings(allies(), after=at("2025-09-05 12:00"), count=1)) == ["2025-10-17T11:00"]


def test_naive_after_is_rejected() -> None:
    with pytest.raises(ValueError, match="after must be a timezone-aware datetime"):
        meetings(allies(), after=datetime(2025, 1, 1), count=1)


# --- overrides ----------------------------------------------------------------


def test_skip_is_hidden_listed_on_request_and_not_counted() -> None:
    skip = [Override("skip", local("2025-10-17 11:00"), reason="holiday")]
    shown = meetings(allies(), after=at("2025-09-01 00:00"), count=2, overrides=skip)
    assert keys(shown) == ["2025-09-05T11:00", "2025-11-28T11:00"]
    listed = meetings(
        allies(), after=at("2025-09-01 00:00"), count=2, overrides=skip, include_skipped=True
    )
    assert keys(listed) == ["2025-09-05T11:00", "2025-10-17T11:00", "2025-11-28T11:00"]
    assert [m.status for m in listed] == ["scheduled", "skipped", "scheduled"]
    assert listed[1].reason == "holiday"


def test_move_keeps_key_and_reorders() -> None:
    move = Override("move", local("2025-10-17 11:00"), local("2025-12-01 14:30"), "room clash")
    found = meetings(allies(), after=at("2025-10-01 00:00"), count=3, overrides=[move])
    assert keys(found) == ["2025-11-28T11:00", "2025-10-17T11:00", "2026-01-09T11:00"]
    moved = found[1]
    assert moved.status == "moved"
    assert moved.start == at("2025-12-01 14:30")
    assert moved.end == at("2025-12-01 15:30")
    assert moved.original_start == at("2025-10-17 11:00")
    assert moved.original_local == local("2025-10-17 11:00")
    assert moved.reason == "room clash"


def test_move_from_outside_the_window_into_it() -> None:
    move = Override("move", local("2025-05-09 11:00"), local("2027-01-05 09:00"))
    found = meetings(
        allies(), after=at("2027-01-01 00:00"), until=at("2027-01-15 00:00"), overrides=[move]
    )
    assert keys(found) == ["2025-05-09T11:00"]
    assert meetings(allies(), after=EPOCH, count=1, overrides=[move])[0].key == "2025-06-13T11:00"


def test_add_in_a_break_and_added_status() -> None:
    add = Override("add", new=local("2026-08-14 16:00"), reason="extra session")
    found = meetings(
        allies(), after=at("2026-07-01 00:00"), until=at("2026-09-01 00:00"), overrides=[add]
    )
    assert [(m.key, m.status, m.reason) for m in found] == [
        ("2026-08-14T16:00", "added", "extra session")
    ]


def test_last_override_for_a_meeting_wins() -> None:
    original = local("2025-10-17 11:00")
    skip = Override("skip", original)
    move = Override("move", original, local("2025-10-20 11:00"))
    restore = Override("add", new=original)

    def status(*overrides: Override) -> str:
        found = meetings(
            allies(),
            after=at("2025-10-01 00:00"),
            until=at("2025-10-31 00:00"),
            overrides=overrides,
            include_skipped=True,
        )
        return found[0].status

    assert status(skip, restore) == "scheduled"
    assert status(move, skip) == "skipped"
    assert status(skip, move) == "moved"
    assert status(move, Override("move", original, original)) == "scheduled"


def test_overrides_naming_no_meeting_are_ignored() -> None:
    stray = [
        Override("skip", local("2025-10-18 11:00")),
        Override("move", local("2025-10-17 10:00"), local("2025-10-18 11:00")),
    ]
    plain = meetings(allies(), after=EPOCH, count=8)
    assert meetings(allies(), after=EPOCH, count=8, overrides=stray) == plain


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "cancel", "original": datetime(2025, 1, 1, 11)}, "skip, move, add or unskip"),
        ({"kind": "skip"}, "skip override takes original"),
        ({"kind": "move", "original": datetime(2025, 1, 1, 11)}, "original and new"),
        ({"kind": "add", "original": datetime(2025, 1, 1, 11)}, "add override takes new"),
        ({"kind": "add", "new": datetime(2025, 1, 1, 11, tzinfo=UTC)}, "naive local"),
        ({"kind": "add", "new": datetime(2025, 1, 1, 11, 0, 30)}, "whole minutes"),
    ],
)
def test_invalid_overrides(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Override(**kwargs)  # type: ignore[arg-type]


# --- next_meeting and meeting_by_date -----------------------------------------


def test_next_meeting_counts_the_one_in_progress() -> None:
    cadence = allies()
    assert key_of(next_meeting(cadence, at("2025-09-01 09:00"))) == "2025-09-05T11:00"
    assert key_of(next_meeting(cadence, at("2025-09-05 11:59"))) == "2025-09-05T11:00"
    assert key_of(next_meeting(cadence, at("2025-09-05 12:00"))) == "2025-10-17T11:00"
    skip = [Override("skip", local("2025-10-17 11:00"))]
    assert key_of(next_meeting(cadence, at("2025-09-06 00:00"), skip)) == "2025-11-28T11:00"
    assert next_meeting(cadence, at("2028-11-01 00:00")) is None


def test_meeting_by_date() -> None:
    move = Override("move", local("2025-10-17 11:00"), local("2025-10-20 15:00"))
    skip = Override("skip", local("2025-11-28 11:00"))
    cadence, overrides = allies(), [move, skip]
    assert key_of(meeting_by_date(cadence, date(2025, 9, 5), overrides)) == "2025-09-05T11:00"
    by_new = meeting_by_date(cadence, date(2025, 10, 20), overrides)
    by_old = meeting_by_date(cadence, date(2025, 10, 17), overrides)
    assert by_new == by_old
    assert by_new is not None and by_new.status == "moved"
    skipped = meeting_by_date(cadence, date(2025, 11, 28), overrides)
    assert skipped is not None and skipped.status == "skipped"
    assert meeting_by_date(cadence, date(2025, 9, 6), overrides) is None


# --- DST gap, fold and durations ----------------------------------------------


def test_nonexistent_time_moves_forward_by_the_gap() -> None:
    cadence = Cadence(BRUSSELS, one_off=(local("2026-03-29 02:30"),))
    (meeting,) = meetings(cadence, after=EPOCH)
    assert meeting.key == "2026-03-29T02:30"
    assert meeting.start.isoformat() == "2026-03-29T03:30:00+02:00"
    assert meeting.start_utc == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_ambiguous_time_is_the_first_occurrence() -> None:
    cadence = Cadence(BRUSSELS, one_off=(local("2026-10-25 02:30"),))
    (meeting,) = meetings(cadence, after=EPOCH)
    assert meeting.start.isoformat() == "2026-10-25T02:30:00+02:00"
    assert meeting.end.isoformat() == "2026-10-25T02:30:00+01:00"  # one real hour later


def test_day_durations_are_nominal() -> None:
    cadence = Cadence(BRUSSELS, one_off=(local("2026-03-27 11:00"),), duration=parse_duration("7d"))
    (meeting,) = meetings(cadence, after=EPOCH)
    assert meeting.end == at("2026-04-03 11:00")
    assert meeting.end_utc - meeting.start_utc == timedelta(days=7) - timedelta(hours=1)


def test_monthly_skips_months_without_the_day() -> None:
    cadence = Cadence(BRUSSELS, start=local("2025-01-31 11:00"), every=parse_every("1 month"))
    found = meetings(cadence, after=EPOCH, count=3)
    assert keys(found) == ["2025-01-31T11:00", "2025-03-31T11:00", "2025-05-31T11:00"]


# --- parsing --------------------------------------------------------------------


def test_parse_every() -> None:
    assert parse_every("6 weeks") == Every(6, "week")
    assert parse_every("6 weeks").freq == WEEKLY
    assert parse_every("6 weeks").delta == relativedelta(weeks=6)
    assert parse_every("1 Month").freq == MONTHLY
    assert parse_every("10days") == Every(10, "day")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("90m", 90), ("1h", 60), ("1h30m", 90), ("15m", 15), ("2d", 2880), ("7d", 10080)],
)
def test_parse_duration(text: str, expected: int) -> None:
    assert parse_duration(text) == timedelta(minutes=expected)


def test_parse_local_datetime_and_date() -> None:
    assert parse_local_datetime("2025-09-05 11:00") == datetime(2025, 9, 5, 11)
    assert parse_local_datetime("2025-09-05T11:00") == datetime(2025, 9, 5, 11)
    assert parse_date("2026-07-01") == date(2026, 7, 1)
    assert meeting_key(datetime(2025, 9, 5, 11)) == "2025-09-05T11:00"


@pytest.mark.parametrize(
    ("parse", "text", "message"),
    [
        (parse_every, "6 fortnights", "every: expected 'N days', 'N weeks' or 'N months'"),
        (parse_every, "0 weeks", "N >= 1, got '0 weeks'"),
        (parse_every, "weekly", "got 'weekly'"),
        (parse_duration, "1 hour", "duration: expected e.g. '90m'"),
        (parse_duration, "30m1h", "got '30m1h'"),
        (parse_duration, "0m", "duration: must be longer than zero"),
        (parse_duration, "", "got ''"),
        (parse_local_datetime, "2025-09-05", "expected a valid local date and time"),
        (parse_local_datetime, "2025-09-05 11:00+02:00", "no time zone"),
        (parse_local_datetime, "2025-02-30 11:00", "got '2025-02-30 11:00'"),
        (parse_date, "2026-7-1x", "expected a valid date like '2026-07-01'"),
        (parse_date, "2026-02-30", "got '2026-02-30'"),
    ],
)
def test_parse_errors_name_the_problem(
    parse: Callable[[str], object], text: str, message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse(text)


def test_parse_errors_can_name_the_config_key() -> None:
    with pytest.raises(ValueError, match=r"^groups\[0\]\.cadence\.every: "):
        parse_every("often", "groups[0].cadence.every")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"every": None}, "'start' and 'every' must be given together"),
        ({"breaks": [(date(2026, 8, 31), date(2026, 7, 1))]}, "break starts 2026-08-31 after"),
        ({"until": date(2025, 1, 1)}, "until 2025-01-01 is before start"),
        ({"duration": timedelta(0)}, "duration must be positive"),
        ({"start": datetime(2025, 9, 5, 11, tzinfo=UTC)}, "naive local datetime"),
    ],
)
def test_invalid_cadence(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        allies(**changes)


# --- properties -----------------------------------------------------------------

ZONES = ["Europe/Brussels", "America/New_York", "Australia/Sydney", "Asia/Kolkata"]


@st.composite
def cadences(draw: st.DrawFn) -> Cadence:
    start = draw(st.dates(date(2024, 1, 1), date(2030, 12, 31)))
    unit = draw(st.sampled_from(["day", "week", "month"]))
    interval = draw(st.integers(1, {"day": 30, "week": 10, "month": 4}[unit]))
    breaks = []
    for _ in range(draw(st.integers(0, 3))):
        first = start + timedelta(days=draw(st.integers(0, 2000)))
        breaks.append((first, first + timedelta(days=draw(st.integers(0, 120)))))
    until = draw(st.none() | st.integers(0, 4000).map(lambda n: start + timedelta(days=n)))
    return Cadence(
        ZoneInfo(draw(st.sampled_from(ZONES))),
        start=datetime.combine(start, time(11)),
        every=Every(interval, unit),  # type: ignore[arg-type]
        breaks=breaks,
        until=until,
    )


@settings(max_examples=150, deadline=None)
@given(cadence=cadences(), offset_days=st.integers(-100, 3000))
def test_meetings_stay_on_the_grid(cadence: Cadence, offset_days: int) -> None:
    assert cadence.start is not None and cadence.every is not None
    after = localize(cadence.start, cadence.timezone) + timedelta(days=offset_days)
    found = meetings(cadence, after=after, count=40)
    anchor = cadence.start.date()
    for meeting in found:
        day = meeting.start.date()
        assert meeting.start.time() == time(11) and meeting.start.tzinfo is cadence.timezone
        assert meeting.end > after
        if cadence.every.unit == "month":
            months = (day.year - anchor.year) * 12 + day.month - anchor.month
            assert day.day == anchor.day and months % cadence.every.interval == 0
        else:
            step = cadence.every.interval * (7 if cadence.every.unit == "week" else 1)
            assert (day - anchor).days % step == 0
        assert not any(first <= day <= last for first, last in cadence.breaks)
        assert cadence.until is None or day <= cadence.until
    starts = [m.start_utc for m in found]
    assert starts == sorted(set(starts))
    if cadence.until is None:
        assert len(found) == 40


@settings(max_examples=100, deadline=None)
@given(
    cadence=cadences(),
    skips=st.lists(st.integers(0, 60), max_size=5),
    cut=st.integers(0, 3000),
)
def test_windows_agree_with_the_full_list(cadence: Cadence, skips: list[int], cut: int) -> None:
    """Whatever the window, meetings() is a slice of one and the same calendar."""
    assert cadence.start is not None
    begin = localize(cadence.start, cadence.timezone)
    whole = meetings(cadence, after=begin, count=60, include_skipped=True)
    overrides = [Override("skip", whole[i].original_local) for i in skips if i < len(whole)]
    full = meetings(cadence, after=begin, count=60, overrides=overrides, include_skipped=True)
    skipped = {m.key for m in full if m.status == "skipped"}
    assert skipped == {meeting_key(o.target) for o in overrides}
    if not full:
        return
    after = begin + timedelta(days=cut)
    window = meetings(cadence, after=after, until=full[-1].start, overrides=overrides)
    assert window == [m for m in full if m.end > after and m.status != "skipped"]


def test_gap_shift_can_reorder_meetings_and_count_follows_real_time() -> None:
    """02:30 on the spring-forward day is 03:30 CEST, so it comes after 03:10."""
    cadence = Cadence(BRUSSELS, one_off=(local("2026-03-29 02:30"), local("2026-03-29 03:10")))
    assert keys(meetings(cadence, after=EPOCH)) == ["2026-03-29T03:10", "2026-03-29T02:30"]
    assert keys(meetings(cadence, after=EPOCH, count=1)) == ["2026-03-29T03:10"]


def test_a_moved_meeting_is_skipped_at_its_new_time_and_unskipped_back_to_it() -> None:
    """What the chair sees is what they skip: the meeting moved to 10 Oct 14:00
    is cancelled there, and `!unskip` brings back that moved meeting."""
    key, new = local("2025-10-17 11:00"), local("2025-10-24 14:00")
    moved = Override("move", original=key, new=new)
    skip = Override("skip", original=key, reason="no quorum")
    unskip = Override("unskip", original=key)

    def the_one(*overrides: Override) -> Meeting:
        return next(
            m
            for m in meetings(
                allies(), after=EPOCH, count=30, overrides=overrides, include_skipped=True
            )
            if m.key == meeting_key(key)
        )

    skipped = the_one(moved, skip)
    assert skipped.status == "skipped" and skipped.start == at("2025-10-24 14:00")
    back = the_one(moved, skip, unskip)
    assert back.status == "moved" and back.start == at("2025-10-24 14:00")
    assert back.original_start == at("2025-10-17 11:00")
    assert the_one(skip, unskip).status == "scheduled"
    assert the_one(moved, skip, skip, unskip).status == "moved"  # a second skip changes nothing


def test_an_added_meeting_skipped_and_unskipped_is_an_extra_meeting_again() -> None:
    extra = local("2025-10-01 11:00")
    overrides = (
        Override("add", new=extra),
        Override("skip", original=extra),
        Override("unskip", original=extra),
    )
    [found] = [
        m
        for m in meetings(
            allies(), after=EPOCH, count=30, overrides=overrides, include_skipped=True
        )
        if m.key == meeting_key(extra)
    ]
    assert found.status == "added" and found.start == at("2025-10-01 11:00")
    unskipped_only = (Override("unskip", original=extra),)
    assert all(
        m.key != meeting_key(extra)
        for m in meetings(allies(), after=EPOCH, count=30, overrides=unskipped_only)
    )
