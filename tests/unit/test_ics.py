"""The .ics feed: parsed back with icalendar, checked line by line."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, Component

from bot.calendar.cadence import Cadence, Meeting, Override, meetings
from bot.calendar.ics import PRODID, render_ics, vtimezone
from bot.calendar.timeparse import parse_every, parse_local_datetime

BRUSSELS = ZoneInfo("Europe/Brussels")
NOW = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)
LINK = "https://meet.example.org/allies-working-group-call?pwd=abc123,def;ghi&lang=en"
NAME = "ALLIES — Arbeitsgruppe für Öffentlichkeit, Gleichstellung; und Übersetzung (Brüssel)"


def allies_meetings() -> list[Meeting]:
    cadence = Cadence(
        BRUSSELS,
        one_off=(datetime(2025, 5, 9, 11), datetime(2025, 6, 13, 11)),
        start=datetime(2025, 9, 5, 11),
        every=parse_every("6 weeks"),
        breaks=((date(2026, 7, 1), date(2026, 8, 31)),),
        until=date(2028, 10, 31),
    )
    overrides = [
        Override("skip", parse_local_datetime("2025-10-17 11:00"), reason="Holiday; sorry, all"),
        Override("move", parse_local_datetime("2025-11-28 11:00"), datetime(2025, 12, 1, 14, 30)),
    ]
    start = datetime(2025, 1, 1, tzinfo=UTC)
    return meetings(cadence, after=start, count=12, overrides=overrides, include_skipped=True)


def render(now: datetime = NOW, link: str | None = LINK) -> str:
    return render_ics("allies", NAME, allies_meetings(), call_link=link, now=now)


def events(text: str) -> list[Component]:
    return Calendar.from_ical(text).walk("VEVENT")


def test_calendar_header() -> None:
    calendar = Calendar.from_ical(render())
    assert calendar["PRODID"] == PRODID
    assert calendar["VERSION"] == "2.0"
    assert calendar["METHOD"] == "PUBLISH"
    assert str(calendar["X-WR-CALNAME"]) == NAME


def test_one_event_per_meeting_with_stable_unique_uids() -> None:
    first = events(render(now=NOW))
    second = events(render(now=NOW + timedelta(days=30)))
    assert len(first) == len(allies_meetings()) == 13  # 12 taking place + 1 skipped
    uids = [str(event["UID"]) for event in first]
    assert uids == [str(event["UID"]) for event in second]
    assert len(set(uids)) == len(uids)
    assert uids[0] == "2025-05-09T11:00-allies@allies-bot"
    assert "2025-11-28T11:00-allies@allies-bot" in uids  # the moved meeting keeps its UID
    assert [event.decoded("DTSTAMP") for event in second] == [NOW + timedelta(days=30)] * 13


def test_times_carry_tzid_and_round_trip() -> None:
    text = render()
    assert "DTSTART;TZID=Europe/Brussels:20250509T110000\r\n" in text
    assert "DTEND;TZID=Europe/Brussels:20250509T120000\r\n" in text
    for meeting, event in zip(allies_meetings(), events(text), strict=True):
        assert event.decoded("DTSTART") == meeting.start
        assert event.decoded("DTEND") == meeting.end
        assert event["DTSTART"].params["TZID"] == "Europe/Brussels"


def test_vtimezone_present_and_agrees_with_zoneinfo() -> None:
    (zone,) = Calendar.from_ical(render()).walk("VTIMEZONE")
    assert zone["TZID"] == "Europe/Brussels"
    daylight, standard = zone.walk("DAYLIGHT")[0], zone.walk("STANDARD")[0]
    # Onsets are local times in the offset *before* the change (RFC 5545 3.6.5):
    # 02:00 CET becomes 03:00 CEST, 03:00 CEST becomes 02:00 CET.
    assert daylight.to_ical().decode().splitlines()[1:3] == [
        "DTSTART:20240331T020000",
        "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3",
    ]
    assert standard.to_ical().decode().splitlines()[1:3] == [
        "DTSTART:20241027T030000",
        "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10",
    ]
    own = zone.to_tz(lookup_tzid=False)  # read our definition, not the tz database
    for meeting in allies_meetings():
        assert meeting.start_utc.astimezone(own).utcoffset() == meeting.start.utcoffset()


@pytest.mark.parametrize(
    ("tzid", "form"),
    [
        ("America/New_York", "RRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3"),
        ("Australia/Sydney", "RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=10"),
        ("Africa/Casablanca", "RDATE:"),  # Ramadan-dependent: no yearly rule
        ("Asia/Tokyo", "TZOFFSETFROM:+0900"),  # no DST at all
    ],
)
def test_vtimezone_for_other_zones(tzid: str, form: str) -> None:
    zone = vtimezone(tzid, 2025, 2030)
    assert form in zone.to_ical().decode()
    own, real = zone.to_tz(lookup_tzid=False), ZoneInfo(tzid)
    noon = datetime(2025, 1, 1, 12, tzinfo=UTC)
    for day in range(0, 6 * 365, 3):
        instant = noon + timedelta(days=day)
        assert instant.astimezone(own).utcoffset() == instant.astimezone(real).utcoffset(), instant


def test_lines_are_crlf_and_folded_at_75_octets() -> None:
    text = render()
    assert text.endswith("\r\n")
    lines = text.split("\r\n")[:-1]
    assert all("\n" not in line and "\r" not in line for line in lines)
    assert max(len(line.encode("utf-8")) for line in lines) <= 75
    assert any(line.startswith(" ") for line in lines)  # long values were folded, not cut


def test_cancelled_moved_and_call_link() -> None:
    by_uid = {str(event["UID"]).split("-allies@")[0]: event for event in events(render())}
    skipped, moved, plain = (
        by_uid["2025-10-17T11:00"],
        by_uid["2025-11-28T11:00"],
        by_uid["2025-09-05T11:00"],
    )
    assert (str(skipped["STATUS"]), skipped["SEQUENCE"]) == ("CANCELLED", 1)
    assert "Holiday; sorry, all" in str(skipped["DESCRIPTION"])
    assert (str(moved["STATUS"]), moved["SEQUENCE"]) == ("CONFIRMED", 1)
    assert moved.decoded("DTSTART") == datetime(2025, 12, 1, 14, 30, tzinfo=BRUSSELS)
    assert "Moved from Fri 28 Nov 2025 11:00" in str(moved["DESCRIPTION"])
    assert (str(plain["STATUS"]), plain["SEQUENCE"]) == ("CONFIRMED", 0)
    assert str(plain["SUMMARY"]) == f"{NAME} meeting"
    assert str(plain["LOCATION"]) == LINK
    assert str(plain["URL"]) == LINK
    assert LINK in str(plain["DESCRIPTION"])


def test_without_call_link_and_without_meetings() -> None:
    (first, *_) = events(render(link=None))
    assert "LOCATION" not in first and "URL" not in first
    empty = render_ics("allies", "ALLIES", [], now=NOW)
    assert Calendar.from_ical(empty).walk("VEVENT") == []
    assert "BEGIN:VTIMEZONE" not in empty


def test_naive_now_is_rejected() -> None:
    with pytest.raises(ValueError, match="now must be a timezone-aware datetime"):
        render_ics("allies", "ALLIES", [], now=datetime(2025, 5, 1, 12))
