"""Dates and times typed in chat: phrases people use, traps, errors, DST, languages."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.calendar.dates import (
    DateParseError,
    DateSettings,
    When,
    describe,
    parse_when,
    split_when,
)
from bot.calendar.dates_day import _names, _names_fit

BRUSSELS = ZoneInfo("Europe/Brussels")
EN = DateSettings(BRUSSELS)
DE = DateSettings(BRUSSELS, ("de", "en"))
FR = DateSettings(BRUSSELS, ("fr", "en"))
US = DateSettings(ZoneInfo("America/New_York"), ("en",), "MDY")
MONDAY = datetime(2026, 3, 23, 10, 0, tzinfo=BRUSSELS)  # CET; clocks go forward on 29 March
SUMMER = datetime(2026, 7, 15, 16, 30, tzinfo=BRUSSELS)  # a Wednesday, CEST


def local(when: When) -> datetime:
    """The wall-clock reading of a result, after checking it is in the group's zone."""
    assert when.moment.tzinfo == BRUSSELS
    return when.moment.replace(tzinfo=None)


@pytest.mark.parametrize(
    ("text", "expected", "has_time"),
    [
        ("5 December", datetime(2026, 12, 5), False),
        ("5 Dec", datetime(2026, 12, 5), False),
        ("December 5, 2026", datetime(2026, 12, 5), False),
        ("5th of December", datetime(2026, 12, 5), False),
        ("on 5 December", datetime(2026, 12, 5), False),
        ("13 June", datetime(2026, 6, 13), False),
        ("05.12.2026", datetime(2026, 12, 5), False),
        ("5.12.", datetime(2026, 12, 5), False),
        ("05.12.26", datetime(2026, 12, 5), False),
        ("2026-06-05", datetime(2026, 6, 5), False),
        ("12.12.2026 14:00", datetime(2026, 12, 12, 14), True),
        ("next Friday 11:00", datetime(2026, 3, 27, 11), True),
        ("next friday", datetime(2026, 3, 27), False),
        ("Friday", datetime(2026, 3, 27), False),
        ("this Friday at 11am", datetime(2026, 3, 27, 11), True),
        ("Monday", datetime(2026, 3, 30), False),  # said on a Monday: the coming one
        ("next Monday", datetime(2026, 3, 30), False),
        ("tomorrow", datetime(2026, 3, 24), False),
        ("today", datetime(2026, 3, 23), False),
        ("today 17:30", datetime(2026, 3, 23, 17, 30), True),
        ("day after tomorrow", datetime(2026, 3, 25), False),
        ("in 2 weeks", datetime(2026, 4, 6), False),
        ("2 weeks from now", datetime(2026, 4, 6), False),
        ("a week from today", datetime(2026, 3, 30), False),  # dateparser alone: 16 March
        ("in 10 days", datetime(2026, 4, 2), False),
        ("in 2 months", datetime(2026, 5, 23), False),
        ("end of month", datetime(2026, 3, 31), False),
        ("end of the month", datetime(2026, 3, 31), False),
        ("end of next month", datetime(2026, 4, 30), False),
        ("tomorrow at 9", datetime(2026, 3, 24, 9), True),
        ("tomorrow 9am", datetime(2026, 3, 24, 9), True),
        ("tomorrow 9 pm", datetime(2026, 3, 24, 21), True),
        ("tomorrow 9:30 p.m.", datetime(2026, 3, 24, 21, 30), True),
        ("tomorrow 12am", datetime(2026, 3, 24, 0), True),
        ("tomorrow 14h", datetime(2026, 3, 24, 14), True),
        ("tomorrow 14h30", datetime(2026, 3, 24, 14, 30), True),
        ("tomorrow, 11:00", datetime(2026, 3, 24, 11), True),
        ("tomorrow noon", datetime(2026, 3, 24, 12), True),
        ("tomorrow at midday", datetime(2026, 3, 24, 12), True),
        ("11:00 next Friday", datetime(2026, 3, 27, 11), True),
        ("23 March", datetime(2026, 3, 23), False),  # today, not next year
        ("22 March", datetime(2027, 3, 22), False),  # yesterday's date: next year
        ("29 February", datetime(2028, 2, 29), False),
        ("13/06/2026", datetime(2026, 6, 13), False),  # 13 can't be a month
        ("06/13/2026", datetime(2026, 6, 13), False),
        ("06/06/2026", datetime(2026, 6, 6), False),  # both readings agree
    ],
)
def test_phrases_people_type(text: str, expected: datetime, has_time: bool) -> None:
    when = parse_when(text, EN, MONDAY)
    assert (local(when), when.has_time, when.text) == (expected, has_time, text)


def test_tomorrow_at_9_is_9_whatever_the_time_now() -> None:
    """dateparser alone gives "tomorrow at 9" the current time of day."""
    for now in (MONDAY, MONDAY.replace(hour=16, minute=37), SUMMER):
        when = parse_when("tomorrow at 9", EN, now)
        assert local(when) == datetime.combine(now.date() + timedelta(days=1), time(9))
        assert when.has_time


def test_date_only_is_midnight_or_the_default_time() -> None:
    assert local(parse_when("tomorrow", EN, MONDAY.replace(minute=42))).time() == time(0)
    when = parse_when("next Friday", EN, MONDAY, default_time=time(11))
    assert (local(when), when.has_time) == (datetime(2026, 3, 27, 11), False)
    assert local(parse_when("Friday 9:00", EN, MONDAY, default_time=time(11))).hour == 9


def test_weekdays_and_month_ends_in_summer() -> None:
    assert local(parse_when("Wednesday", EN, SUMMER)) == datetime(2026, 7, 22)
    assert local(parse_when("Friday", EN, SUMMER)) == datetime(2026, 7, 17)
    assert local(parse_when("end of month", EN, SUMMER)) == datetime(2026, 7, 31)
    last_day = datetime(2026, 12, 31, 9, tzinfo=BRUSSELS)
    assert local(parse_when("end of month", EN, last_day)) == datetime(2026, 12, 31)
    assert local(parse_when("end of next month", EN, last_day)) == datetime(2027, 1, 31)
    assert local(parse_when("5 December", EN, SUMMER)) == datetime(2026, 12, 5)
    assert local(parse_when("13 June", EN, SUMMER)) == datetime(2027, 6, 13)


@pytest.mark.parametrize(
    ("text", "utc_hour"),
    [("27.03.2026 11:00", 10), ("03.04.2026 11:00", 9), ("next Friday 11:00", 10)],
)
def test_dst_offsets(text: str, utc_hour: int) -> None:
    assert parse_when(text, EN, MONDAY).moment.astimezone(UTC).hour == utc_hour


def test_a_week_later_across_the_clock_change_keeps_local_time() -> None:
    when = parse_when("in 2 weeks 11:00", EN, MONDAY)
    assert local(when) == datetime(2026, 4, 6, 11)
    assert when.moment.utcoffset() == timedelta(hours=2)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("29.03.2026 02:30", "skip it"),
        ("25.10.2026 02:30", "happens twice"),
    ],
)
def test_local_times_a_clock_change_skips_or_repeats_are_refused(text: str, words: str) -> None:
    with pytest.raises(DateParseError, match=words):
        parse_when(text, EN, MONDAY)


@pytest.mark.parametrize(
    ("text", "settings_", "readings"),
    [
        ("05/06/2026", EN, ("5 June 2026", "6 May 2026", "2026-06-05")),
        ("05-06-2026", EN, ("5 June 2026", "6 May 2026", "2026-06-05")),
        ("5/6", EN, ("5 June", "6 May")),
        ("05/06/2026", US, ("6 May 2026", "5 June 2026", "2026-05-06")),
    ],
)
def test_slashed_dates_that_could_be_read_two_ways(
    text: str, settings_: DateSettings, readings: tuple[str, ...]
) -> None:
    with pytest.raises(DateParseError) as caught:
        parse_when(text, settings_, MONDAY)
    message = str(caught.value)
    assert f'"{text}" could be {readings[0]}' in message
    assert all(reading in message for reading in readings)
    assert message.index(readings[0]) < message.index(readings[1])  # the group's order first


def test_dots_follow_the_configured_order() -> None:
    assert local(parse_when("05.06.2026", EN, MONDAY)) == datetime(2026, 6, 5)
    us = parse_when("05.06.2026", US, MONDAY)
    assert us.moment.replace(tzinfo=None) == datetime(2026, 5, 6)
    assert us.moment.tzinfo == ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("yesterday", "Sunday 22 March 2026, which is in the past"),
        ("05.12.2025", "Friday 5 December 2025, which is in the past"),
        ("today 9:00", "09:00 CET (08:00 UTC), which is in the past"),
        ("5 December 2025", "in the past"),
        ("", "I need a date"),
        ("   ", "I need a date"),
        ("banana", '"banana" is not a date I can read'),
        ("32.13.2025", "not a valid date"),
        ("31.04.2026", "not a valid date"),
        ("9.30", "with a colon, like 9:30"),
        ("2026", "not a date I can read"),
        ("5", "not a date I can read"),
        ("March", "not a date I can read"),
        ("in 2", "not a date I can read"),
        ("tomorrow 3", "not a date I can read"),  # dateparser alone: tomorrow
        ("11:00", '"11:00" is a time without a day'),
        ("tomorrow 25:00", '"25:00" is not a time of day'),
        ("tomorrow 13pm", '"13pm" is not a time of day'),
        ("tomorrow 11:00 14:00", "more than one time of day"),
        ("5 December 11:00-12:00", "not a date I can read"),  # dateparser: 6 Dec (UTC-12)
        ("tomorrow morning", "which time of day"),
        ("in 3 hours", "which time of day"),
        ("next week", "a whole period, not a day"),
        ("next month", "a whole period, not a day"),
        ("Friday 5 December", "5 December 2026 is a Saturday, not a Friday"),
        ("5 December 14", "two-digit year"),
        ("5 December 2205", "more than 10 years away"),
        ("in 5000 years", "more than 10 years away"),
        ("x" * 200, "not a date I can read"),
    ],
)
def test_errors_say_what_was_wrong(text: str, words: str) -> None:
    with pytest.raises(DateParseError) as caught:
        parse_when(text, EN, MONDAY)
    assert words in str(caught.value)


def test_past_at_the_right_granularity() -> None:
    assert local(parse_when("today", EN, MONDAY.replace(hour=23))) == datetime(2026, 3, 23)
    assert parse_when("today 10:00", EN, MONDAY).has_time  # exactly now is not past
    with pytest.raises(DateParseError, match="in the past"):
        parse_when("today 09:59", EN, MONDAY)
    assert local(parse_when("yesterday", EN, MONDAY, allow_past=True)) == datetime(2026, 3, 22)
    # "now" in another zone: it is already Tuesday in Brussels.
    late = datetime(2026, 3, 23, 23, 30, tzinfo=UTC)
    with pytest.raises(DateParseError, match="Monday 23 March 2026, which is in the past"):
        parse_when("23.03.2026", EN, late)


@pytest.mark.parametrize(
    ("text", "expected", "rest"),
    [
        ("5 December holiday season", datetime(2026, 12, 5), "holiday season"),
        ("05.12.2026 Christmas party", datetime(2026, 12, 5), "Christmas party"),
        ("next Friday 11:00 room booked", datetime(2026, 3, 27, 11), "room booked"),
        ("in 2 weeks public holiday", datetime(2026, 4, 6), "public holiday"),
        ("in 2 weeks", datetime(2026, 4, 6), ""),
        ("5 December may be cancelled", datetime(2026, 12, 5), "may be cancelled"),
        ("next Friday may be moved", datetime(2026, 3, 27), "may be moved"),
        ("Friday march for climate", datetime(2026, 3, 27), "march for climate"),
        ("5 December Jan is away", datetime(2026, 12, 5), "Jan is away"),
        ("tomorrow the team is away", datetime(2026, 3, 24), "the team is away"),
        ("tomorrow 3 people away", datetime(2026, 3, 24), "3 people away"),
        ("5 December 14 people away", datetime(2026, 12, 5), "14 people away"),
        ("13 June to tomorrow at 9", datetime(2026, 6, 13), "to tomorrow at 9"),
        ("tomorrow 11:00 moved to 14:00", datetime(2026, 3, 24, 11), "moved to 14:00"),
        ("end of month report", datetime(2026, 3, 31), "report"),
        ("5 December 11:00-12:00 workshop", datetime(2026, 12, 5), "11:00-12:00 workshop"),
        ("  2026-12-05   holiday ", datetime(2026, 12, 5), "holiday"),
    ],
)
def test_split_when(text: str, expected: datetime, rest: str) -> None:
    when, reason = split_when(text, EN, MONDAY)
    assert (local(when), reason) == (expected, rest)
    assert f"{when.text} {reason}".strip() == " ".join(text.split())


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("5 December 2025 party", "in the past"),  # not "5 December" + "2025 party"
        ("05/06/2026 holiday", "could be 5 June 2026 or 6 May 2026"),
        ("next week holiday", "a whole period"),
        ("banana split", '"banana split" does not start with a date'),
        ("", "does not start with a date"),
    ],
)
def test_split_when_errors(text: str, words: str) -> None:
    with pytest.raises(DateParseError, match=words):
        split_when(text, EN, MONDAY)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nächsten Freitag 11:00", datetime(2026, 3, 27, 11)),
        ("Freitag", datetime(2026, 3, 27)),
        ("5. Dezember", datetime(2026, 12, 5)),
        ("am 5. Dezember", datetime(2026, 12, 5)),
        ("Freitag, 27. März 2026", datetime(2026, 3, 27)),
        ("morgen um 14 Uhr", datetime(2026, 3, 24, 14)),
        ("übermorgen 9.30 Uhr", datetime(2026, 3, 25, 9, 30)),
        ("in 2 Wochen", datetime(2026, 4, 6)),
        ("Ende des Monats", datetime(2026, 3, 31)),
        ("next Friday 11:00", datetime(2026, 3, 27, 11)),  # English still works
    ],
)
def test_german(text: str, expected: datetime) -> None:
    assert local(parse_when(text, DE, MONDAY)) == expected


def test_month_words_must_sit_by_a_day_number() -> None:
    """Our own guard, so that no dateparser version reads "may" in a reason as May."""
    weekdays, months = _names(("en",))

    def fits(phrase: str) -> bool:
        return _names_fit(phrase.split(), weekdays, months)

    assert fits("5 december") and fits("friday 5th of may")
    assert not fits("5 december may")
    assert not fits("next friday may")
    assert not fits("friday sunday")


def test_german_errors_and_split() -> None:
    with pytest.raises(DateParseError, match="whole period"):
        parse_when("nächste Woche", DE, MONDAY)
    with pytest.raises(DateParseError, match="not a date I can read"):
        parse_when("5. Dezember", EN, MONDAY)  # German is not a language of this group
    when, rest = split_when("5. Dezember die Feier fällt aus", DE, MONDAY)
    assert (local(when), rest) == (datetime(2026, 12, 5), "die Feier fällt aus")
    for word in ("die", "mit", "Sam"):  # German short weekday names are everyday words
        with pytest.raises(DateParseError):
            split_when(f"{word} Sitzung fällt aus", DE, MONDAY)
    when, rest = split_when("morgen um 9 Uhr Termin", DE, MONDAY)
    assert (local(when), rest) == (datetime(2026, 3, 24, 9), "Termin")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("vendredi prochain à 14h", datetime(2026, 3, 27, 14)),
        ("le 5 décembre", datetime(2026, 12, 5)),
        ("demain à 9h30", datetime(2026, 3, 24, 9, 30)),
        ("fin du mois", datetime(2026, 3, 31)),
        ("dans 2 semaines", datetime(2026, 4, 6)),
    ],
)
def test_french(text: str, expected: datetime) -> None:
    assert local(parse_when(text, FR, MONDAY)) == expected


def test_describe() -> None:
    moment = datetime(2025, 12, 5, 11, tzinfo=BRUSSELS)
    assert describe(moment) == "Friday 5 December 2025, 11:00 CET (10:00 UTC)"
    assert describe(moment, with_time=False) == "Friday 5 December 2025"
    summer = datetime(2026, 4, 3, 11, tzinfo=BRUSSELS)
    assert describe(summer) == "Friday 3 April 2026, 11:00 CEST (09:00 UTC)"
    early = datetime(2026, 1, 2, 0, 30, tzinfo=BRUSSELS)
    assert (
        describe(early) == "Friday 2 January 2026, 00:30 CET (23:30 UTC on Thursday 1 January 2026)"
    )
    assert describe(datetime(2026, 1, 2, 9, tzinfo=UTC)) == "Friday 2 January 2026, 09:00 UTC"
    with pytest.raises(ValueError, match="aware"):
        describe(datetime(2026, 1, 2, 9))


def test_settings_and_now_are_checked() -> None:
    with pytest.raises(ValueError, match="date_order"):
        DateSettings(BRUSSELS, date_order="DDMM")
    with pytest.raises(ValueError):
        DateSettings(BRUSSELS, ("klingon",))
    with pytest.raises(ValueError, match="at least one"):
        DateSettings(BRUSSELS, ())
    assert DateSettings(BRUSSELS, ["de", "en"]).languages == ("de", "en")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="aware"):
        parse_when("tomorrow", EN, datetime(2026, 3, 23, 10))


_VOCABULARY = (
    "5 05 13 32 2026 2025 26 12.12.2026 05/06/2026 2026-06-05 9.30 11:00 25:00 9am 14h at um"
    " December Dezember may March Friday Freitag next nächsten in weeks Wochen tomorrow"
    " morgen today yesterday end of month the , . / - noon Uhr banana"
)
WORDS = st.sampled_from(_VOCABULARY.split())


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(st.text(max_size=30), st.lists(WORDS, max_size=6).map(" ".join)),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1)),
)
def test_any_text_gives_an_aware_moment_in_the_zone_or_a_date_parse_error(
    text: str, naive_now: datetime
) -> None:
    now = naive_now.replace(tzinfo=BRUSSELS)
    for parse in (parse_when, lambda *args: split_when(*args)[0]):
        try:
            when = parse(text, DE, now)
        except DateParseError as error:
            assert str(error)
            continue
        assert when.moment.tzinfo == BRUSSELS
        assert when.moment.utcoffset() is not None
        assert when.moment.date() >= now.date()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("29 February 2027", "29 February 2027 does not exist: 2027 is not a leap year."),
        ("29 February 2027 holidays", "29 February 2027 does not exist: 2027 is not a leap year."),
        ("31 April", "31 April does not exist: April has 30 days."),
        ("April 31 2027", "31 April 2027 does not exist: April has 30 days."),
        ("30 February", "30 February does not exist: February has 28 days, 29 in a leap year."),
    ],
)
def test_a_day_the_month_does_not_have_is_an_error_never_another_year(text, message):
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from bot.calendar.dates import DateParseError, DateSettings, split_when

    settings = DateSettings(ZoneInfo("Europe/Brussels"))
    with pytest.raises(DateParseError) as raised:
        split_when(text, settings, datetime(2026, 12, 2, 9, tzinfo=UTC))
    assert str(raised.value) == message
