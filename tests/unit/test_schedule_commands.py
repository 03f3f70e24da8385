"""!next, !schedule, !ics, !agenda through the real core, with a pinned clock."""

from datetime import UTC, datetime

from icalendar import Calendar

ANNA = "@anna:example.org"
VICE = "@vice:example.org"


async def test_next_shows_local_and_utc_and_call_link(calendar_harness):
    [reply] = await calendar_harness.say(ANNA, "!next")
    assert reply.body.startswith("**ALLIES, next meeting:** Friday 3 April 2026, 11:00–12:00 CEST")
    assert "(09:00–10:00 UTC)" in reply.body
    assert "https://meet.example.org/allies" in reply.body


async def test_next_during_a_meeting_says_in_progress(calendar_harness):
    calendar_harness.clock = datetime(2026, 4, 3, 9, 30, tzinfo=UTC)
    [reply] = await calendar_harness.say(ANNA, "!next")
    assert "in progress now" in reply.body and "3 April 2026" in reply.body


async def test_schedule_lists_n_meetings_across_dst(calendar_harness):
    [reply] = await calendar_harness.say(ANNA, "!schedule 3")
    lines = [ln for ln in reply.body.splitlines() if ln.startswith("- ")]
    assert lines == [
        "- Fri 3 Apr 2026, 11:00 CEST (09:00 UTC)",
        "- Fri 15 May 2026, 11:00 CEST (09:00 UTC)",
        "- Fri 26 Jun 2026, 11:00 CEST (09:00 UTC)",
    ]
    [bad] = await calendar_harness.say(ANNA, "!schedule lots")
    assert "Give a number of meetings from 1 to 20." in bad.body and "Usage" in bad.body


async def test_ics_is_a_valid_calendar_file_with_stable_uids(calendar_harness):
    replies = await calendar_harness.say(ANNA, "!ics")
    assert [r.file is not None for r in replies] == [False, True]
    file = replies[1].file
    assert file.name == "allies-meetings.ics" and file.mimetype == "text/calendar"
    calendar = Calendar.from_ical(file.data)
    events = calendar.walk("VEVENT")
    assert len(events) == 23  # every remaining meeting until `until = 2028-10-31`
    assert str(events[0]["UID"]) == "2026-04-03T11:00-allies@allies-bot"
    assert events[0].decoded("DTSTART") == datetime(2026, 4, 3, 9, 0, tzinfo=UTC)
    again = (await calendar_harness.say(ANNA, "!ics"))[1].file
    assert [str(e["UID"]) for e in Calendar.from_ical(again.data).walk("VEVENT")] == [
        str(e["UID"]) for e in events
    ]


async def test_agenda_add_list_and_remove(calendar_harness):
    h = calendar_harness
    [added] = await h.say(ANNA, "!agenda add Mapping report [draft](http://x)")
    assert added.body == "Added as item 4 of the draft agenda for Fri 3 Apr."
    await h.say("@bo:example.org", "!agenda add Erasmus+ KA2")
    [agenda] = await h.say(ANNA, "!agenda")
    assert "Draft agenda: ALLIES meeting, Friday 3 April 2026" in agenda.body
    assert "4. Mapping report [draft](http://x) (proposed by @anna:example.org)" in agenda.body
    assert "5. Erasmus+ KA2" in agenda.body and "6. Any other business" in agenda.body
    assert "<a " not in agenda.html.replace('<a href="https://meet.example.org/allies"', "")
    [refused] = await h.say(ANNA, "!agenda remove 4")
    assert refused.body == "Sorry, `!agenda remove` is for chairs and vice-chairs only."
    [standing] = await h.say(VICE, "!agenda remove 1")
    assert "not a proposed item" in standing.body
    [removed] = await h.say(VICE, "!agenda remove 4")
    assert removed.body.startswith("Removed item 4: Mapping report")
    [agenda] = await h.say(ANNA, "!agenda")
    assert "Mapping report" not in agenda.body and "4. Erasmus+ KA2" in agenda.body


async def test_updates_belong_to_the_next_meeting(calendar_harness):
    h = calendar_harness
    await h.say(ANNA, "!update for April")
    h.clock = datetime(2026, 4, 3, 10, 30, tzinfo=UTC)  # after the 3 April meeting
    [empty] = await h.say(ANNA, "!updates")
    assert empty.body.startswith("No updates yet")
    async with h.core.storage.transaction() as repo:
        [april] = await repo.updates_for("allies", "2026-04-03T11:00")
    assert april.text == "for April"


async def test_groups_without_cadence_say_so(harness):
    [reply] = await harness.say(ANNA, "!next")
    assert "No meeting calendar is configured" in reply.body
