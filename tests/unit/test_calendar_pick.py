"""Two meetings on one day, `!unskip`: the calendar commands act on the meeting meant."""

ANNA = "@anna:example.org"
CHAIR = "@chair:example.org"
FRIDAY_11 = "Friday 3 April 2026, 11:00–12:00 CEST (09:00–10:00 UTC)"
FRIDAY_15 = "Friday 3 April 2026, 15:00–16:00 CEST (13:00–14:00 UTC)"


async def _two_meetings(h) -> None:
    echo, announcement = await h.say(CHAIR, "!meeting add 3 April 15:00 extra session")
    assert echo.body == f"Understood: an extra meeting on {FRIDAY_15}."
    assert announcement.body.startswith(f"**Extra ALLIES meeting: {FRIDAY_15}.**")


async def _schedule(h) -> str:
    [schedule] = await h.say(ANNA, "!schedule 3")
    return schedule.body


async def test_a_date_alone_on_a_day_with_two_meetings_asks_which(calendar_harness):
    h = calendar_harness
    await _two_meetings(h)
    before = await _schedule(h)
    for command in ("!skip 3 April", "!move 3 April to 10 April"):
        [question] = await h.say(CHAIR, command)
        assert question.body.startswith(
            "There are 2 meetings on Friday 3 April 2026: 11:00 and 15:00. Say which, e.g. `!"
        ), command
        assert question.body.endswith(" 3 April 2026 15:00`."), command
    assert await _schedule(h) == before


async def test_the_time_selects_the_meeting_skipped_or_moved(calendar_harness):
    h = calendar_harness
    await _two_meetings(h)
    echo, announcement = await h.say(CHAIR, "!skip 3 April 15:00 no room")
    assert echo.body == f"Understood: skip the meeting of {FRIDAY_15}."
    assert "15:00–16:00" in announcement.body and "11:00" not in announcement.body
    moved, _ = await h.say(CHAIR, "!move 3 April 11:00 to 3 April 14:00")
    assert moved.body == (
        f"Understood: move the meeting of {FRIDAY_11} to "
        "Friday 3 April 2026, 14:00–15:00 CEST (12:00–13:00 UTC)."
    )
    schedule = await _schedule(h)
    assert "~~Fri 3 Apr 2026, 15:00 CEST (13:00 UTC)~~ skipped: no room" in schedule
    assert "Fri 3 Apr 2026, 14:00 CEST (12:00 UTC), moved from Fri 3 Apr 2026, 11:00" in schedule


async def test_an_extra_meeting_at_an_existing_start_is_refused(calendar_harness):
    h = calendar_harness
    await _two_meetings(h)
    [duplicate] = await h.say(CHAIR, "!meeting add 3 April 15:00 other reason")
    assert duplicate.body == f"There is already a meeting on {FRIDAY_15}."
    assert "extra meeting: extra session" in await _schedule(h)


async def test_unskip_restores_the_meeting_and_announces_it(calendar_harness):
    h = calendar_harness
    await h.say(CHAIR, "!skip 3 April Easter")
    [pointer] = await h.say(CHAIR, "!meeting add 3 April 11:00")
    assert pointer.body == (
        f"The meeting of {FRIDAY_11} is skipped. `!unskip 3 April 2026 11:00` restores it."
    )
    [already] = await h.say(CHAIR, "!skip 3 April")
    assert already.body == (
        f"The meeting of {FRIDAY_11} is already skipped (reason: Easter). "
        "`!unskip 3 April 2026` restores it."
    )
    echo, announcement = await h.say(CHAIR, "!unskip 3 April")
    assert echo.body == f"Understood: the meeting of {FRIDAY_11} takes place after all."
    assert announcement.body == f"**The ALLIES meeting of {FRIDAY_11} takes place after all.**"
    schedule = await _schedule(h)
    assert "skipped" not in schedule and "- Fri 3 Apr 2026, 11:00 CEST (09:00 UTC)" in schedule


async def test_unskip_refuses_what_it_cannot_do_and_changes_nothing(calendar_harness):
    h = calendar_harness
    before = await _schedule(h)
    [not_skipped] = await h.say(CHAIR, "!unskip 3 April")
    assert not_skipped.body == f"The meeting of {FRIDAY_11} is not skipped."
    [no_day] = await h.say(CHAIR, "!unskip 4 April")
    assert no_day.body.startswith("There is no meeting on Saturday 4 April 2026.")
    await h.say(CHAIR, "!skip 3 April")
    [extra_words] = await h.say(CHAIR, "!unskip 3 April please")
    assert extra_words.body.startswith('`!unskip` takes a date and a time, not "please".')
    [member] = await h.say(ANNA, "!unskip 3 April")
    assert member.body.endswith("is for chairs and vice-chairs only.")
    [bare] = await h.say(CHAIR, "!unskip")
    assert "`!unskip 5 February`" in bare.body
    assert "~~Fri 3 Apr 2026" in await _schedule(h) and "~~" not in before


async def test_a_moved_meeting_can_be_moved_back(calendar_harness):
    h = calendar_harness
    await h.say(CHAIR, "!move 3 April to 10 April")
    back, _ = await h.say(CHAIR, "!move 10 April to 3 April")
    assert back.body.endswith(f"to {FRIDAY_11}, its original time.")
    assert "moved" not in await _schedule(h)


async def test_a_day_the_month_does_not_have_is_an_error(calendar_harness):
    [reply] = await calendar_harness.say(CHAIR, "!skip 29 February 2027")
    assert "29 February 2027 does not exist: 2027 is not a leap year." in reply.body
    [reply] = await calendar_harness.say(CHAIR, "!skip 31 April")
    assert "31 April does not exist: April has 30 days." in reply.body
