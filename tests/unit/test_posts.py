"""Pure post planning: what is due when, and what is too late to be useful."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.calendar.cadence import Meeting
from bot.config.schedule import Announce
from bot.meeting.posts import Decision, decide, offset_label, plan_posts, superseded

BRUSSELS = ZoneInfo("Europe/Brussels")
START = datetime(2026, 4, 3, 11, 0, tzinfo=BRUSSELS)  # after the DST switch: 09:00 UTC
MEETING = Meeting("2026-04-03T11:00", START, START + timedelta(hours=1))
GRACE = timedelta(hours=2)


def by_kind():
    return {post.kind: post for post in plan_posts(MEETING, Announce())}


def test_plan_has_every_post_at_the_right_utc_time():
    posts = by_kind()
    assert list(posts) == ["agenda", "chase", "reminder:1d", "reminder:15m"]
    assert posts["agenda"].due == datetime(2026, 3, 27, 10, 0, tzinfo=UTC)  # still CET then
    assert posts["reminder:15m"].due == datetime(2026, 4, 3, 8, 45, tzinfo=UTC)
    assert posts["reminder:1d"].due.astimezone(BRUSSELS).hour == 11


def test_skipped_meeting_gets_no_posts_and_chase_can_be_off():
    assert plan_posts(Meeting("k", START, START, status="skipped"), Announce()) == []
    kinds = [p.kind for p in plan_posts(MEETING, Announce(chase_updates=None))]
    assert "chase" not in kinds


def test_decisions():
    posts = by_kind()
    agenda, reminder = posts["agenda"], posts["reminder:1d"]
    assert decide(agenda, agenda.due - timedelta(seconds=1), GRACE) is Decision.WAIT
    assert decide(agenda, agenda.due, GRACE) is Decision.SEND
    assert decide(agenda, START - timedelta(minutes=1), GRACE) is Decision.SEND  # late but useful
    assert decide(agenda, START, GRACE) is Decision.STALE
    assert decide(reminder, reminder.due + GRACE, GRACE) is Decision.SEND
    assert decide(reminder, reminder.due + GRACE + timedelta(seconds=1), GRACE) is Decision.STALE
    assert decide(posts["reminder:15m"], START + timedelta(minutes=1), GRACE) is Decision.STALE


def test_only_the_nearest_due_reminder_is_sent_after_an_outage():
    posts = list(by_kind().values())
    assert superseded(posts, START - timedelta(minutes=10)) == {"reminder:1d"}
    assert superseded(posts, START - timedelta(hours=5)) == set()


def test_offset_labels():
    assert offset_label(timedelta(days=1)) == "1d"
    assert offset_label(timedelta(minutes=15)) == "15m"
    assert offset_label(timedelta(days=1, hours=2)) == "1d2h"
    assert offset_label(timedelta(seconds=90)) == "1m30s"
