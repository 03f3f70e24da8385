"""!skip, !move, !meeting add: chairs change the calendar, with echoes and errors."""

ANNA = "@anna:example.org"
VICE = "@vice:example.org"
CHAIR = "@chair:example.org"


async def test_members_are_refused_naming_who_may(calendar_harness):
    for command in ("!skip 3 April", "!move 3 April to 10 April", "!meeting add 20 April 11:00"):
        [reply] = await calendar_harness.say(ANNA, command)
        assert reply.body.endswith("is for chairs and vice-chairs only."), command
    [reply] = await calendar_harness.say("@stranger:example.org", "!skip 3 April")
    assert "chairs and vice-chairs" in reply.body


async def test_skip_echoes_announces_and_changes_the_schedule(calendar_harness):
    h = calendar_harness
    changed = []

    async def listener(group_id):
        changed.append(group_id)

    h.core.calendar_listeners.append(listener)
    echo, announcement = await h.say(VICE, "!skip 3 April Easter <b>break</b>")
    assert echo.body == (
        "Understood: skip the meeting of Friday 3 April 2026, 11:00–12:00 CEST (09:00–10:00 UTC)."
    )
    assert echo.reply_to is not None and announcement.reply_to is None
    assert "is cancelled.** Reason: Easter <b>break</b>" in announcement.body
    assert "&lt;b&gt;" in announcement.html
    assert changed == ["allies"]
    [schedule] = await h.say(ANNA, "!schedule 2")
    assert (
        "- ~~Fri 3 Apr 2026, 11:00 CEST (09:00 UTC)~~ skipped: Easter <b>break</b>" in schedule.body
    )
    assert "- Fri 15 May 2026" in schedule.body
    [nxt] = await h.say(ANNA, "!next")
    assert "Friday 15 May 2026" in nxt.body


async def test_skip_errors_are_clear_and_store_nothing(calendar_harness):
    h = calendar_harness
    [none] = await h.say(CHAIR, "!skip 4 April")
    assert "There is no meeting on Saturday 4 April 2026" in none.body
    assert "Next meetings: Fri 3 Apr 11:00, Fri 15 May 11:00, Fri 26 Jun 11:00." in none.body
    [garbage] = await h.say(CHAIR, "!skip banana")
    assert "Usage: `!skip <date> [time] [reason]`" in garbage.body
    [past] = await h.say(CHAIR, "!skip 9 January 2026")
    assert "past" in past.body
    [ambiguous] = await h.say(CHAIR, "!skip 03/04/2026")
    assert "3 April" in ambiguous.body and "4 March" in ambiguous.body
    [schedule] = await h.say(ANNA, "!schedule 1")
    assert "skipped" not in schedule.body


async def test_move_keeps_the_time_unless_given(calendar_harness):
    h = calendar_harness
    echo, announcement = await h.say(CHAIR, "!move 3 April to 10 April")
    assert echo.body == (
        "Understood: move the meeting of Friday 3 April 2026, 11:00–12:00 CEST (09:00–10:00 UTC) "
        "to Friday 10 April 2026, 11:00–12:00 CEST (09:00–10:00 UTC)."
    )
    assert "moves to Friday 10 April 2026" in announcement.body
    [schedule] = await h.say(ANNA, "!schedule 1")
    assert "Fri 10 Apr 2026, 11:00 CEST (09:00 UTC), moved from Fri 3 Apr 2026, 11:00 CEST" in (
        schedule.body
    )
    again, _ = await h.say(CHAIR, "!move 10 April to 10 April 14:30 room clash")
    assert "to Friday 10 April 2026, 14:30–15:30 CEST (12:30–13:30 UTC)" in again.body


async def test_move_needs_to_and_a_readable_target(calendar_harness):
    [reply] = await calendar_harness.say(CHAIR, "!move 3 April")
    assert "`!move 5 December to 12 December 14:00`" in reply.body
    [reply] = await calendar_harness.say(CHAIR, "!move 3 April to someday")
    assert "Usage: `!move <date> [time] to <date and time> [reason]`" in reply.body


async def test_meeting_add_uses_the_usual_time_by_default(calendar_harness):
    h = calendar_harness
    echo, announcement = await h.say(VICE, "!meeting add 24 April workshop prep")
    assert (
        echo.body == "Understood: an extra meeting on Friday 24 April 2026, 11:00–12:00 CEST"
        " (09:00–10:00 UTC)."
    )
    assert "Reason: workshop prep" in announcement.body
    [schedule] = await h.say(ANNA, "!schedule 3")
    assert (
        "- Fri 24 Apr 2026, 11:00 CEST (09:00 UTC), extra meeting: workshop prep" in schedule.body
    )
    [duplicate] = await h.say(VICE, "!meeting add 24 April 11:00")
    assert "There is already a meeting" in duplicate.body
