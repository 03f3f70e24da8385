"""`!mydata` and `!forget me confirm` are open to anyone, so each person may
ask three times an hour; the refusal says when they may ask again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

STRANGER = "@stranger:example.org"


async def test_a_fourth_copy_within_the_hour_is_refused_with_the_time_to_ask_again(harness):
    h = harness
    h.clock = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)
    for _ in range(3):
        [answer, *_private] = await h.say(STRANGER, "!mydata")
        assert answer.body.startswith("I am sending you a copy")
        h.clock += timedelta(minutes=10)
    [refused] = await h.say(STRANGER, "!mydata")
    assert refused.body == (
        "You asked for a copy of your data 3 times in the last hour; "
        "you can ask again at 15:00 (14:00 UTC)."  # Brussels, UTC+1
    )
    [other, *_private] = await h.say("@anna:example.org", "!mydata")  # per person
    assert other.body.startswith("I am sending you a copy")
    h.clock = datetime(2026, 3, 2, 14, 0, 5, tzinfo=UTC)  # the first one is an hour old
    [again, *_private] = await h.say(STRANGER, "!mydata")
    assert again.body.startswith("I am sending you a copy")


async def test_erasure_is_limited_but_its_explanation_is_not(harness):
    h = harness
    for _ in range(3):
        [done] = await h.say(STRANGER, "!forget me confirm")
        assert done.body.startswith("Done.")
    [refused] = await h.say(STRANGER, "!forget me confirm")
    assert refused.body.startswith("You asked me to erase your data 3 times in the last hour")
    [explained] = await h.say(STRANGER, "!forget me")
    assert "cannot be undone" in explained.body
