"""Automatic posts through the real core, storage and outbox, with a pinned clock."""

import asyncio
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.runtime.poster import Poster, lead_text

MEETING_UTC = datetime(2026, 4, 3, 9, 0, tzinfo=UTC)  # Fri 3 April 2026, 11:00 Brussels
AGENDA_DUE = datetime(2026, 3, 27, 10, 0, tzinfo=UTC)  # a week earlier, before the DST switch


async def run(harness, poster, at):
    harness.clock = at
    before = len(harness.transport.sent)
    kinds = await poster.run_due(harness.config.groups[0].id)
    await harness.core.outbox.flush()
    return kinds, [m for _, m in harness.transport.sent[before:]]


async def test_agenda_posted_once_at_its_time_with_proposed_items(calendar_harness):
    h = calendar_harness
    await h.say("@anna:example.org", "!agenda add Erasmus+ <b>call</b>")
    poster = Poster(h.core)
    assert await run(h, poster, AGENDA_DUE - timedelta(seconds=1)) == ([], [])
    kinds, [agenda] = await run(h, poster, AGENDA_DUE)
    assert kinds == ["2026-04-03T11:00:agenda"]
    assert (
        "Agenda: ALLIES meeting, Friday 3 April 2026, 11:00–12:00 CEST (09:00–10:00 UTC)"
        in agenda.body
    )
    assert "Erasmus+ <b>call</b> (proposed by @anna:example.org)" in agenda.body
    assert "&lt;b&gt;call" in agenda.html and agenda.reply_to is None
    assert "https://meet.example.org/allies" in agenda.body
    assert await run(h, poster, AGENDA_DUE + timedelta(hours=1)) == ([], [])
    restarted = Poster(h.core)  # a restart: a new poster on the same database
    assert await run(h, restarted, AGENDA_DUE + timedelta(hours=2)) == ([], [])


async def test_down_across_everything_sends_late_agenda_and_only_nearest_reminder(calendar_harness):
    h = calendar_harness
    kinds, messages = await run(h, Poster(h.core), MEETING_UTC - timedelta(minutes=10))
    assert kinds == ["2026-04-03T11:00:agenda", "2026-04-03T11:00:reminder:15m"]
    assert "in 10 minutes" in messages[1].body
    assert len(messages) == 2


async def test_missed_reminder_beyond_grace_is_skipped(calendar_harness):
    h = calendar_harness
    poster = Poster(h.core)
    await run(h, poster, AGENDA_DUE)
    kinds, _ = await run(h, poster, MEETING_UTC - timedelta(days=1) + timedelta(hours=3))
    assert kinds == []
    kinds, [reminder] = await run(h, poster, MEETING_UTC - timedelta(minutes=15))
    assert kinds == ["2026-04-03T11:00:reminder:15m"]
    assert "meets in 15 minutes" in reminder.body and "0 updates received" in reminder.body


async def test_nothing_after_the_meeting_started(calendar_harness):
    h = calendar_harness
    assert await run(h, Poster(h.core), MEETING_UTC + timedelta(minutes=5)) == ([], [])


async def test_chase_mentions_only_alliances_without_update_and_not_quiet(calendar_harness):
    h = calendar_harness
    poster = Poster(h.core)
    await run(h, poster, AGENDA_DUE)
    await h.say("@chair:example.org", "!update FORTHEM is covered")
    await h.say("@bo:example.org", "!quiet")
    kinds, [] = await run(h, poster, MEETING_UTC - timedelta(days=2))
    assert kinds == []  # bo (CIVIS) opted out, FORTHEM has its update: nobody to chase
    await h.say("@bo:example.org", "!quiet off")
    async with h.core.storage.transaction() as repo:
        assert await repo.quiet_members("allies") == set()


async def test_chase_message(calendar_harness):
    h = calendar_harness
    poster = Poster(h.core)
    await run(h, poster, AGENDA_DUE)
    await h.say("@anna:example.org", "!update FORTHEM done")
    kinds, [chase] = await run(h, poster, MEETING_UTC - timedelta(days=2))
    assert kinds == ["2026-04-03T11:00:chase"]
    assert chase.mentions == ("@bo:example.org",)
    assert 'href="https://matrix.to/#/@bo:example.org"' in chase.html
    assert "@anna" not in chase.body and "@chair" not in chase.body


async def test_skip_moves_no_posts_and_reschedule_uses_stable_job_ids(calendar_harness):
    h = calendar_harness
    scheduler = AsyncIOScheduler(timezone=UTC)
    poster = Poster(h.core, scheduler)
    group = h.config.groups[0]
    await poster.reschedule(group.id)
    ids = sorted(job.id for job in scheduler.get_jobs())
    assert "post:allies:2026-04-03T11:00:agenda" in ids
    assert "post:allies:2026-04-03T11:00:reminder:15m" in ids
    await poster.reschedule(group.id)
    assert sorted(job.id for job in scheduler.get_jobs()) == ids  # replaced, not doubled


def test_lead_text():
    assert lead_text(timedelta(minutes=15)) == "in 15 minutes"
    assert lead_text(timedelta(days=1)) == "tomorrow"
    assert lead_text(timedelta(hours=5)) == "in 5 hours"
    assert lead_text(timedelta(days=7)) == "in 7 days"


async def test_a_moved_meeting_gets_fresh_posts_for_its_new_time(calendar_harness):
    h = calendar_harness
    poster = Poster(h.core)
    kinds, _ = await run(h, poster, AGENDA_DUE)
    assert kinds == ["2026-04-03T11:00:agenda"]
    h.clock = AGENDA_DUE + timedelta(hours=1)
    await h.say("@chair:example.org", "!move 3 April to 10 April")
    assert await run(h, poster, AGENDA_DUE + timedelta(hours=2)) == ([], [])
    kinds, [agenda] = await run(h, poster, MEETING_UTC)  # a week before the new time
    assert kinds == ["2026-04-03T11:00>2026-04-10T11:00:agenda"]
    assert "Friday 10 April 2026, 11:00" in agenda.body
    assert await run(h, poster, MEETING_UTC + timedelta(hours=1)) == ([], [])


async def test_a_skipped_meeting_gets_no_reminders(calendar_harness):
    h = calendar_harness
    poster = Poster(h.core)
    await run(h, poster, AGENDA_DUE)
    await h.say("@chair:example.org", "!skip 3 April")
    assert await run(h, poster, MEETING_UTC - timedelta(minutes=15)) == ([], [])


async def test_two_wake_ups_in_the_same_second_post_once_and_log_no_error(calendar_harness, caplog):
    """An agenda and a reminder due in the same second fire two jobs at once:
    the second run waits for the first and finds everything posted."""
    h = calendar_harness
    poster = Poster(h.core)
    h.clock = MEETING_UTC - timedelta(minutes=10)
    group = h.config.groups[0]
    with caplog.at_level("INFO"):
        results = await asyncio.gather(*(poster.run_due(group.id) for _ in range(3)))
    await h.core.outbox.flush()
    assert sorted(k for kinds in results for k in kinds) == [
        "2026-04-03T11:00:agenda",
        "2026-04-03T11:00:reminder:15m",
    ]
    assert len(h.transport.sent) == 2
    assert [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")] == []


async def test_the_reminder_stops_asking_once_every_alliance_has_sent_one(calendar_harness):
    h = calendar_harness
    poster = Poster(h.core)
    await run(h, poster, AGENDA_DUE)
    h.clock = MEETING_UTC - timedelta(days=3)
    await h.say("@anna:example.org", "!update FORTHEM mapped 12 offers")
    _, posted = await run(h, poster, MEETING_UTC - timedelta(days=1))
    [tomorrow] = [m for m in posted if "meets tomorrow" in m.body]
    assert tomorrow.body.endswith("1 update received so far; send yours with `!update <text>`.")
    h.clock = MEETING_UTC - timedelta(hours=1)
    await h.say("@bo:example.org", "!update CIVIS drafted the pilot")
    _, posted = await run(h, poster, MEETING_UTC - timedelta(minutes=15))
    [soon] = [m for m in posted if "meets in 15 minutes" in m.body]
    assert soon.body.endswith("2 updates received so far, one from every alliance.")
