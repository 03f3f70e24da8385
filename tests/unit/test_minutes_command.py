"""!minutes through the real core: who may, what is posted, and edits on re-run."""

from datetime import UTC, datetime, timedelta

from tests.unit.fakes import ROOM

ANNA, BO, CHAIR = "@anna:example.org", "@bo:example.org", "@chair:example.org"
MEETING = datetime(2026, 4, 3, 9, 0, tzinfo=UTC)


async def hold_meeting(h):
    h.clock = MEETING - timedelta(days=1)
    await h.say(BO, "!update CIVIS mapped <i>12</i> offers")
    h.clock = MEETING
    await h.say(CHAIR, "!startmeeting")
    await h.say(ANNA, "!here")
    await h.say(CHAIR, "!topic Mapping")
    await h.say(ANNA, "!info draft is ready @room")
    await h.say(CHAIR, "!decision Publish in June")
    await h.say(ANNA, "!action bo send survey due 10.04.2026")
    await h.say(CHAIR, "!endmeeting")


async def test_member_refused_chair_posts_then_edits(calendar_harness):
    h = calendar_harness
    await hold_meeting(h)
    [refused] = await h.say(ANNA, "!minutes")
    assert refused.body == "Sorry, `!minutes` is for chairs and vice-chairs only."
    h.clock = MEETING + timedelta(hours=2)
    ack, *posts = await h.say(CHAIR, "!minutes")
    assert ack.body == "Minutes of Fri 3 Apr 2026 posted below." and ack.reply_to
    text, file = posts
    assert text.reply_to is None and text.replaces is None
    assert text.body.startswith("# Minutes: ALLIES meeting, Friday 3 April 2026, 11:00–12:00 CEST")
    for expected in (
        "CIVIS mapped <i>12</i> offers",
        "Publish in June",
        "send survey",
        "@bo:example.org",
        "Fri 10 Apr 2026",
        "Friday 15 May 2026",
    ):
        assert expected in text.body, expected
    assert "<i>" not in text.html and "@room" not in text.body
    assert file.file.name == "allies-minutes-2026-04-03.md"
    assert file.file.data.decode().startswith("# Minutes: ALLIES meeting")
    sent_ids = {
        m.body: rid
        for rid, m in ((f"$sent{i + 1}", m) for i, (_, m) in enumerate(h.transport.sent))
    }
    await h.say(CHAIR, "!decision Also a newsletter")
    ack2, text2, file2 = await h.say(CHAIR, "!minutes")
    assert "updated: I edited the earlier post" in ack2.body
    assert text2.replaces == sent_ids[text.body] and "Also a newsletter" in text2.body
    assert file2.replaces == sent_ids[file.body] and file2.file is not None
    assert all(m.room_id == ROOM for m in (text2, file2))


async def test_minutes_without_live_mode(calendar_harness):
    h = calendar_harness
    h.clock = MEETING - timedelta(days=1)
    await h.say(ANNA, "!update FORTHEM news")
    h.clock = MEETING + timedelta(minutes=70)
    await h.say(CHAIR, "!decision Next workshop in Cork")
    _, text, _ = await h.say(CHAIR, "!minutes")
    assert "FORTHEM news" in text.body and "Next workshop in Cork" in text.body
    assert "Friday 3 April 2026" in text.body


async def test_nothing_to_minute_yet(harness):
    [reply] = await harness.say(CHAIR, "!minutes")
    assert reply.body == "There is no meeting to write minutes for yet."
