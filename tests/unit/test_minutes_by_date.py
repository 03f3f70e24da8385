"""`!minutes <date>` posts the minutes of that meeting, never another one's."""

from __future__ import annotations

from datetime import UTC, datetime

CHAIR, ANNA, BO = "@chair:example.org", "@anna:example.org", "@bo:example.org"


def minutes_posts(replies):
    return [r.body for r in replies if r.body.startswith("# Minutes:")]


async def hold_meetings(h):
    """20 February 2026: the scheduled 11:00 meeting and an ad-hoc one at 15:00."""
    await h.say_at(datetime(2026, 2, 19, 9, tzinfo=UTC), BO, "!apologies train strike")
    await h.say_at(datetime(2026, 2, 19, 10, tzinfo=UTC), BO, "!apologies ill, sorry")
    await h.say_at(datetime(2026, 2, 20, 10, 0, tzinfo=UTC), CHAIR, "!startmeeting")
    await h.say_at(datetime(2026, 2, 20, 10, 5, tzinfo=UTC), CHAIR, "!decision Survey goes out")
    await h.say_at(datetime(2026, 2, 20, 10, 50, tzinfo=UTC), CHAIR, "!endmeeting")
    await h.say_at(datetime(2026, 2, 20, 14, 0, tzinfo=UTC), CHAIR, "!startmeeting")
    await h.say_at(datetime(2026, 2, 20, 14, 5, tzinfo=UTC), CHAIR, "!decision Budget approved")
    await h.say_at(datetime(2026, 2, 20, 14, 30, tzinfo=UTC), CHAIR, "!endmeeting")
    h.clock = datetime(2026, 3, 2, 9, tzinfo=UTC)


async def test_a_date_alone_on_a_day_with_two_meetings_asks_which(calendar_harness):
    h = calendar_harness
    await hold_meetings(h)
    [asked] = await h.say(CHAIR, "!minutes 20 February 2026")
    assert asked.body.startswith(
        "There were 2 meetings on Friday 20 February 2026: 11:00 and 15:00. Say which, "
        "e.g. `!minutes 20 February 2026 15:00`."
    )
    async with h.core.storage.transaction() as repo:
        assert await repo.minutes_post("allies", "2026-02-20T11:00") is None


async def test_a_date_and_time_post_that_meetings_minutes(calendar_harness):
    h = calendar_harness
    await hold_meetings(h)
    replies = await h.say(CHAIR, "!minutes 20 February 2026 11:00")
    assert replies[0].body == "Minutes of Fri 20 Feb 2026, 11:00 posted below."
    [posted] = minutes_posts(replies)
    assert "Survey goes out" in posted and "Budget approved" not in posted
    assert posted.count("ill, sorry") == 1 and "train strike" not in posted  # latest apology
    later = await h.say(CHAIR, "!minutes 20 February 2026 15:00")
    assert later[0].body == "Minutes of Fri 20 Feb 2026, 15:00 posted below."
    assert "Budget approved" in minutes_posts(later)[0]
    again = await h.say(CHAIR, "!minutes 20.02.2026 11:00")
    assert again[0].body == "Minutes of Fri 20 Feb 2026, 11:00 updated: I edited the earlier post."


async def test_a_day_without_a_meeting_or_with_more_words_is_refused(calendar_harness):
    h = calendar_harness
    await hold_meetings(h)
    [none] = await h.say(CHAIR, "!minutes 21 February 2026")
    assert none.body.startswith("No meeting has taken place on Saturday 21 February 2026.")
    assert "Recent meetings: " in none.body and "Fri 20 Feb 2026" in none.body
    [future] = await h.say(CHAIR, "!minutes 3 April 2026")
    assert future.body.startswith("No meeting has taken place on Friday 3 April 2026.")
    [extra] = await h.say(CHAIR, "!minutes 20 February 2026 11:00 please")
    assert "`!minutes` takes nothing after it" in extra.body
    async with h.core.storage.transaction() as repo:
        assert await repo.minutes_post("allies", "2026-02-20T11:00") is None


async def test_minutes_without_a_date_still_take_the_latest_meeting(calendar_harness):
    h = calendar_harness
    await hold_meetings(h)
    replies = await h.say(CHAIR, "!minutes")
    assert "Budget approved" in minutes_posts(replies)[0]


async def test_a_date_without_a_year_means_the_one_just_gone(calendar_harness):
    h = calendar_harness
    await hold_meetings(h)
    replies = await h.say(CHAIR, "!minutes 20 February 11:00")
    assert replies[0].body == "Minutes of Fri 20 Feb 2026, 11:00 posted below."
    january = await h.say(CHAIR, "!minutes 9 January")
    assert january[0].body == "Minutes of Fri 9 Jan 2026, 11:00 posted below."
