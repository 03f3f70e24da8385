"""Live meetings and action items through the real core, with a pinned clock."""

from datetime import UTC, datetime, timedelta

from bot.meeting.actions import parse_action
from bot.meeting.owners import People
from bot.runtime.calendars import load_calendar
from bot.runtime.poster import Poster

ANNA, BO, CHAIR, VICE = (
    "@anna:example.org",
    "@bo:example.org",
    "@chair:example.org",
    "@vice:example.org",
)
MEETING = datetime(2026, 4, 3, 9, 0, tzinfo=UTC)  # Fri 3 April 2026, 11:00 Brussels


async def notes(h, key="2026-04-03T11:00"):
    async with h.core.storage.transaction() as repo:
        return [(n.kind, n.text, n.author) for n in await repo.notes_for("allies", key)]


async def test_meeting_attaches_to_the_scheduled_one_and_records_with_reactions(calendar_harness):
    h = calendar_harness
    h.clock = MEETING - timedelta(minutes=10)
    [started] = await h.say(CHAIR, "!startmeeting")
    assert started.body.startswith("**Meeting started:** ALLIES meeting, Friday 3 April 2026")
    [again] = await h.say(VICE, "!startmeeting")
    assert "already running" in again.body
    [ack] = await h.say(ANNA, "!here")
    assert ack.reaction == "✅" and ack.body == ""
    await h.say(CHAIR, "!topic Mapping report")
    await h.say(BO, "!info 12 offers mapped")
    await h.say(VICE, "!agreed Publish in June")
    [refused] = await h.say(ANNA, "!decision we all get cake")
    assert refused.body == "Sorry, `!decision` is for chairs and vice-chairs only."
    assert await notes(h) == [
        ("here", "", CHAIR),
        ("here", "", ANNA),
        ("topic", "Mapping report", CHAIR),
        ("info", "12 offers mapped", BO),
        ("decision", "Publish in June", VICE),
    ]
    [ended] = await h.say(CHAIR, "!endmeeting")
    assert "4 present, 1 decision, 0 action items" in ended.body
    [nothing] = await h.say(ANNA, "!here")
    assert "No meeting is running" in nothing.body


async def test_starting_an_ended_meeting_again_says_so(calendar_harness):
    h = calendar_harness
    h.clock = MEETING + timedelta(minutes=5)
    await h.say(CHAIR, "!startmeeting")
    h.clock = MEETING + timedelta(minutes=40)
    await h.say(CHAIR, "!endmeeting")
    h.clock = MEETING + timedelta(minutes=42)
    [again] = await h.say(VICE, "!startmeeting")
    assert again.body.startswith(
        "**Meeting started again:** ALLIES meeting, Friday 3 April 2026, 11:00–12:00 CEST "
        "(09:00–10:00 UTC). "
        "It had been ended at 11:40; what was recorded then stays with it.\n\n"
    )
    await h.say(VICE, "!endmeeting")
    await h.say(CHAIR, "!minutes")
    h.clock = MEETING + timedelta(minutes=50)
    [third] = await h.say(CHAIR, "!startmeeting")
    assert "It had been ended at 11:42; what was recorded then stays with it. " in third.body
    assert "The minutes already posted are updated by the next `!minutes`." in third.body


async def test_adhoc_meeting_when_nothing_is_scheduled_soon(calendar_harness):
    h = calendar_harness
    [started] = await h.say(VICE, "!startmeeting")
    assert "ad-hoc meeting, Monday 2 March 2026, 10:00–11:00 CET" in started.body
    assert (
        "The next scheduled meeting is Friday 3 April 2026, 11:00–12:00 CEST (09:00–10:00 UTC): "
        "`!startmeeting` from an hour before it starts that one."
    ) in started.body


async def test_undo_removes_own_last_item_and_chairs_any(calendar_harness):
    h = calendar_harness
    h.clock = MEETING
    await h.say(CHAIR, "!startmeeting")
    await h.say(ANNA, "!info first")
    await h.say(BO, "!info bo's note")
    [undone] = await h.say(ANNA, "!undo")
    assert undone.body == "Removed your note “first”."
    assert [n[1] for n in await notes(h) if n[0] == "info"] == ["bo's note"]
    [nothing] = await h.say(ANNA, "!undo")
    assert nothing.body.startswith("Nothing of yours")
    await h.say(ANNA, "!action bo send survey")
    [chair_undo] = await h.say(CHAIR, "!undo")
    assert chair_undo.body.startswith("Removed action #") and "“send survey”" in chair_undo.body
    [chair_note] = await h.say(CHAIR, "!undo")
    assert chair_note.body == "Removed @bo:example.org's note “bo's note”."


async def test_actions_owners_due_dates_and_permissions(calendar_harness):
    h = calendar_harness
    h.clock = MEETING
    [one] = await h.say(
        ANNA, "!action @bo:example.org,Maria draft the <b>report</b> due 10.04.2026"
    )
    assert one.body == (
        "Action #1 @bo:example.org, Maria: draft the <b>report</b>, due Fri 10 Apr 2026\n"
        "“Maria” is not on the roster, so nobody will be reminded of it."
    )
    assert "&lt;b&gt;" in one.html
    [two] = await h.say(CHAIR, "!action anna check the budget")
    assert two.body.endswith("#2 @anna:example.org: check the budget, no due date")
    [bad] = await h.say(ANNA, "!action bo something due 03/04")
    assert "I could not use the due date" in bad.body and "Usage" in bad.body
    h.clock = MEETING + timedelta(days=8)
    [listing] = await h.say(ANNA, "!actions")
    assert (
        "#1 @bo:example.org, Maria: draft the <b>report</b>, due Fri 10 Apr 2026 **(overdue)**"
        in listing.body
    )
    [mine] = await h.say(ANNA, "!actions mine")
    assert "#2" in mine.body and "#1" not in mine.body
    [refused] = await h.say("@stranger:example.org", "!done 1")
    assert "members of the group" in refused.body
    [not_owner] = await h.say(CHAIR.replace("chair", "anna"), "!done 1")
    assert not_owner.body == "Done: #1 draft the <b>report</b>"  # anna recorded it
    [edit] = await h.say(BO, "!action edit 2 check the budget twice")
    assert "Only the owner of action #2" in edit.body
    [ok] = await h.say(ANNA, "!action edit 2 check the budget twice due 20.04.2026")
    assert ok.body.endswith("#2 @anna:example.org: check the budget twice, due Mon 20 Apr 2026")
    [drop] = await h.say(ANNA, "!action drop 2")
    assert "chairs and vice-chairs" in drop.body
    [dropped] = await h.say(VICE, "!action drop 2")
    assert dropped.body.startswith("Dropped: #2")
    [empty] = await h.say(ANNA, "!actions")
    assert empty.body == "No open action items."
    [everything] = await h.say(ANNA, "!actions all")
    assert "(done)" in everything.body and "(dropped)" in everything.body


def test_parse_action_owner_forms(calendar_harness):
    people = People.of(calendar_harness.config.groups[0])
    parsed = parse_action("@anna:example.org @bo:example.org write it due Friday", people)
    assert parsed.owners == (ANNA, BO) and parsed.task == "write it" and parsed.due_text == "Friday"
    assert parse_action("Maria call EUCEN", people).owners == ("Maria",)
    assert parse_action("bo,anna call EUCEN", people).owners == (BO, ANNA)


async def test_a_meeting_its_chair_ended_is_over_for_next_updates_and_schedule(calendar_harness):
    h = calendar_harness
    h.clock = MEETING + timedelta(minutes=2)
    await h.say(CHAIR, "!startmeeting")
    [running] = await h.say(ANNA, "!next")
    assert running.body.startswith("**ALLIES, in progress now:** Friday 3 April 2026")
    h.clock = MEETING + timedelta(minutes=40)
    await h.say(CHAIR, "!endmeeting")
    h.clock = MEETING + timedelta(minutes=45)  # the scheduled hour still runs
    [after] = await h.say(ANNA, "!next")
    assert after.body.startswith(
        "The meeting of Friday 3 April 2026, 11:00–12:00 CEST (09:00–10:00 UTC) has ended.\n\n"
        "**ALLIES, next meeting:** "
    )
    assert "3 April" not in after.body.split("next meeting:**")[1]
    [update] = await h.say(BO, "!update 12 offers mapped since")
    assert "3 April" not in update.body and "the meeting of" in update.body
    [schedule] = await h.say(ANNA, "!schedule 2")
    assert "3 Apr" not in schedule.body
    async with h.core.storage.transaction() as repo:
        following = (await load_calendar(repo, h.config.groups[0])).next(
            MEETING + timedelta(hours=2)
        )
        [stored] = await repo.updates_for("allies", following.key)
    assert stored.text == "12 offers mapped since"
    assert f"{following.start:%A} {following.start.day} {following.start:%B %Y}" in after.body


async def test_minutes_of_an_earlier_meeting_carry_only_what_was_raised_before_it(
    calendar_harness,
):
    h = calendar_harness
    earlier = datetime(2026, 2, 20, 10, 5, tzinfo=UTC)  # Fri 20 Feb 2026, 11:05 Brussels
    h.clock = earlier
    await h.say(CHAIR, "!startmeeting")
    await h.say(CHAIR, "!action me map the offers")
    await h.say(CHAIR, "!endmeeting")
    h.clock = MEETING + timedelta(minutes=5)  # the meeting after it, 3 April
    await h.say(CHAIR, "!startmeeting")
    await h.say(CHAIR, "!action me draft the guideline")
    await h.say(CHAIR, "!endmeeting")
    h.clock = MEETING + timedelta(hours=3)  # compiled late, after the next one too
    replies = await h.say(CHAIR, "!minutes 20 February")
    minutes = "\n".join(r.body for r in replies)
    assert "# Minutes: ALLIES meeting, Friday 20 February 2026" in minutes
    new, carried = minutes.split("### New")[1].split("### Carried over from earlier meetings")
    assert "map the offers" in new
    assert "draft the guideline" not in minutes  # raised at a later meeting
    assert carried.strip().startswith("None.")
    assert "## Next meeting\n\nFriday 3 April 2026, 11:00–12:00 CEST" in minutes


async def test_a_meeting_held_early_keeps_its_notes_and_gets_no_late_reminder(calendar_harness):
    h = calendar_harness
    h.clock = MEETING - timedelta(minutes=55)  # 10:05 for the 11:00 meeting
    await h.say(CHAIR, "!startmeeting")
    h.clock = MEETING - timedelta(minutes=30)
    await h.say(CHAIR, "!endmeeting")
    h.clock = MEETING - timedelta(minutes=20)
    await h.say(ANNA, "!info one more thing we agreed on")
    await h.say(ANNA, "!apologies away next time")
    assert ("info", "one more thing we agreed on", ANNA) in await notes(h)
    [undone] = await h.say(ANNA, "!undo")
    assert undone.body == "Removed your apologies “away next time”."
    assert ("info", "one more thing we agreed on", ANNA) in await notes(h)
    h.clock = MEETING - timedelta(minutes=15)  # the "in 15 minutes" reminder is due
    before = len(h.transport.sent)
    kinds = await Poster(h.core).run_due(h.config.groups[0].id)
    await h.core.outbox.flush()
    posted = [m.body for _, m in h.transport.sent[before:]]
    assert not any("meets in 15 minutes" in body for body in posted), (kinds, posted)


async def test_the_schedule_after_an_ended_meeting_counts_meetings_that_take_place(
    calendar_harness,
):
    h = calendar_harness
    h.clock = MEETING - timedelta(days=30)
    await h.say(CHAIR, "!skip 15 May")
    h.clock = MEETING + timedelta(minutes=2)
    await h.say(CHAIR, "!startmeeting")
    await h.say(CHAIR, "!endmeeting")
    [schedule] = await h.say(ANNA, "!schedule 2")
    lines = [line for line in schedule.body.splitlines() if line.startswith("- ")]
    assert "3 Apr" not in schedule.body
    assert len(lines) == 3 and "skipped" in lines[0], lines  # 15 May skipped, then two
