"""Due-day reminders and auto-close, exactly once, with a pinned clock."""

from datetime import UTC, datetime, timedelta

from bot.runtime.housekeeping import Housekeeper

ANNA, CHAIR = "@anna:example.org", "@chair:example.org"
MEETING = datetime(2026, 4, 3, 9, 0, tzinfo=UTC)


async def sent_by(h, chore):
    before = len(h.transport.sent)
    await chore()
    await h.core.outbox.flush()
    return [m for _, m in h.transport.sent[before:]]


async def test_owners_reminded_on_the_due_day_once(calendar_harness):
    h = calendar_harness
    await h.say(ANNA, "!action @bo:example.org,Maria send the survey due 10.03.2026")
    keeper = Housekeeper(h.core)
    group = h.config.groups[0]
    h.clock = datetime(2026, 3, 10, 7, 0, tzinfo=UTC)  # 08:00 Brussels: too early
    assert await sent_by(h, lambda: keeper.remind_due_actions(group.id)) == []
    h.clock = datetime(2026, 3, 10, 8, 30, tzinfo=UTC)  # 09:30 Brussels
    [reminder] = await sent_by(h, lambda: keeper.remind_due_actions(group.id))
    assert reminder.body.startswith(
        "Due today: action #1, send the survey (@bo:example.org, Maria)"
    )
    assert "https://matrix.to/#/@bo:example.org" in reminder.html
    assert reminder.mentions == ("@bo:example.org",)
    assert await sent_by(h, lambda: keeper.remind_due_actions(group.id)) == []
    h.clock += timedelta(days=1)
    assert await sent_by(h, lambda: keeper.remind_due_actions(group.id)) == []


async def test_meeting_left_open_is_closed_with_a_note(calendar_harness):
    h = calendar_harness
    h.clock = MEETING
    await h.say(CHAIR, "!startmeeting")
    keeper = Housekeeper(h.core)
    h.clock = MEETING + timedelta(hours=2, minutes=59)  # end 10:00 UTC + 2h auto_close
    assert await sent_by(h, keeper.close_stale_meetings) == []
    h.clock = MEETING + timedelta(hours=3)
    [note] = await sent_by(h, keeper.close_stale_meetings)
    assert note.body.startswith("The meeting of Friday 3 April 2026, 11:00–12:00 CEST")
    assert "2 hours after its end, so I closed it" in note.body
    assert await sent_by(h, keeper.close_stale_meetings) == []
    [reply] = await h.say(CHAIR, "!endmeeting")
    assert "No meeting is running" in reply.body


async def test_open_actions_in_the_agenda_with_overdue_marked(calendar_harness):
    h = calendar_harness
    await h.say(ANNA, "!action chair prepare slides due 05.03.2026")
    await h.say(ANNA, "!action anna book room")
    h.clock = datetime(2026, 3, 27, 10, 0, tzinfo=UTC)
    [agenda] = await h.say(ANNA, "!agenda")
    assert "**Open action items**" in agenda.body
    assert (
        "- #1 @chair:example.org: prepare slides, due Thu 5 Mar 2026 **(overdue)**" in agenda.body
    )
    assert "- #2 @anna:example.org: book room, no due date" in agenda.body
    await h.say(ANNA, "!done 2")
    [agenda] = await h.say(ANNA, "!agenda")
    assert "#2" not in agenda.body
