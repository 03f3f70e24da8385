"""`!endmeeting` says when the meeting actually ran and counts what it opened."""

from __future__ import annotations

from datetime import UTC, datetime

CHAIR, ANNA = "@chair:example.org", "@anna:example.org"


async def test_the_summary_shows_the_times_run_and_only_this_sessions_items(calendar_harness):
    h = calendar_harness
    # Friday 3 April 2026, 11:00 CEST = 09:00 UTC; the chair restarts it after a break
    await h.say_at(datetime(2026, 4, 3, 9, 2, tzinfo=UTC), CHAIR, "!startmeeting")
    await h.say_at(datetime(2026, 4, 3, 9, 5, tzinfo=UTC), CHAIR, "!decision First half")
    await h.say_at(datetime(2026, 4, 3, 9, 20, tzinfo=UTC), CHAIR, "!endmeeting")
    await h.say_at(datetime(2026, 4, 3, 9, 25, tzinfo=UTC), CHAIR, "!startmeeting")
    await h.say_at(datetime(2026, 4, 3, 9, 26, tzinfo=UTC), ANNA, "!here")
    await h.say_at(datetime(2026, 4, 3, 9, 30, tzinfo=UTC), CHAIR, "!decision Second half")
    await h.say_at(datetime(2026, 4, 3, 9, 31, tzinfo=UTC), CHAIR, "!action anna write it up")
    [ended] = await h.say_at(datetime(2026, 4, 3, 9, 58, tzinfo=UTC), CHAIR, "!endmeeting")
    assert ended.body == (
        "**Meeting ended:** ALLIES, Friday 3 April 2026, ran 11:25–11:58 CEST: 2 present, "
        "1 decision, 1 action item opened. `!minutes` posts the minutes."
    )
