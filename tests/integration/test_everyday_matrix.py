"""A chair's everyday commands through the real bot on a real Synapse (issue 20).

Every example the issue names gets its answer here from the `allies-bot run`
process, as a member and a chair see it in their room: the help, arguments a
command does not take, which meeting a calendar command changes, action
owners, outputs' order, minutes of a given date, and `!mydata`.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest_asyncio

from .bot_process import BotProcess, GroupSpec, render_config

READY = "sync loop running"
BRUSSELS = ZoneInfo("Europe/Brussels")


def first_friday(weeks_ahead: int) -> date:
    """A Friday some weeks from today: the tests never depend on the real date."""
    today = datetime.now(BRUSSELS).date() + timedelta(weeks=weeks_ahead)
    return today + timedelta(days=(4 - today.weekday()) % 7)


def spoken(day: date) -> str:
    """'4 December 2026', as a chair types it."""
    return f"{day.day} {day:%B %Y}"


def cadence(first: date) -> str:
    return f"""
[groups.cadence]
start = "{first:%Y-%m-%d} 11:00"
every = "6 weeks"
duration = "1h"
[groups.announce]
agenda_before = "7d"
reminders = ["1d"]
chase_updates = "off"
"""


@pytest_asyncio.fixture(loop_scope="session")
async def group_room(synapse, make_member, tmp_path):
    chair, vice, anna, bo = [await make_member(n) for n in ("chair", "vice", "anna", "bo")]
    password = secrets.token_urlsafe(12)
    bot_user = (await synapse.register_user(f"bot-{secrets.token_hex(3)}", password)).user_id
    people = [vice, anna, bo]
    room = await chair.create_room("ALLIES", invite=[p.user_id for p in people] + [bot_user])
    for person in people:
        await person.join(room)
    first = first_friday(3)
    members = {
        chair.user_id: "FORTHEM",
        vice.user_id: "CIVIS",
        anna.user_id: "FORTHEM",
        bo.user_id: "EUGLOH",
    }
    spec = GroupSpec(
        "allies",
        room,
        [chair.user_id],
        members,
        vice_chairs=(vice.user_id,),
        extra_toml=cadence(first) + f'[groups.names]\n"{chair.user_id}" = "Chris Chair"\n',
    )
    bot = BotProcess(tmp_path, render_config(synapse.base_url, bot_user, [spec]), password)
    await bot.start()
    await bot.wait_for_log(READY)
    yield {"chair": chair, "vice": vice, "anna": anna, "bo": bo}, room, bot_user, first
    await bot.stop()


async def test_help_and_arguments_a_command_does_not_take(group_room):
    people, room, _, first = group_room
    chair, anna = people["chair"], people["anna"]
    help_text = (await chair.ask(room, "!help"))["body"]
    assert len(help_text.splitlines()) <= 30
    for heading in ("Before the meeting", "In the meeting", "After the meeting", "Privacy"):
        assert f"**{heading}**" in help_text
    assert "`!agreed` (or `!decision`)" in help_text
    member_help = (await anna.ask(room, "!help"))["body"]
    assert "`!update`" in member_help and "`!skip`" not in member_help
    one = (await anna.ask(room, "!help skip"))["body"]
    assert one.startswith("**`!skip <date> [time] [reason]`**")
    assert "chairs and vice-chairs (not you, in this group)" in one and "Example: `!skip" in one
    ignored = (await anna.ask(room, "!updates please"))["body"]
    assert ignored == "`!updates` takes no arguments, so I did nothing. Type just `!updates`."
    ack = (await anna.ask(room, "!update Catalogue of micro-credentials online"))["body"]
    assert ack.startswith(
        f"Thanks, your update for FORTHEM is recorded for the meeting of {first:%A} {spoken(first)}"
    )
    listing = (await anna.ask(room, "!updates"))["body"]
    assert "(1 update)" in listing and "Catalogue of micro-credentials online" in listing


async def test_calendar_actions_and_outputs_do_what_the_chair_meant(group_room):
    people, room, _, first = group_room
    chair, vice, anna, bo = (people[n] for n in ("chair", "vice", "anna", "bo"))
    day, weekday = spoken(first), f"{first:%A}"

    async def says(member, text: str) -> str:
        return (await member.ask(room, text))["body"]

    added = await says(chair, f"!meeting add {day} 15:00 extra session")
    assert added.startswith(f"Understood: an extra meeting on {weekday} {day}, 15:00–16:00 ")
    which = await says(chair, f"!skip {day}")
    assert which.startswith(f"There are 2 meetings on {weekday} {day}: 11:00 and 15:00. Say which")
    skipped = await says(chair, f"!skip {day} 15:00 no room")
    assert skipped.startswith(f"Understood: skip the meeting of {weekday} {day}, 15:00–16:00 ")
    restored = await says(vice, f"!unskip {day} 15:00")
    assert restored.startswith(f"Understood: the meeting of {weekday} {day}, 15:00–16:00 ")
    assert restored.endswith("takes place after all.")
    assert (await says(vice, f"!unskip {day} 11:00")).endswith("is not skipped.")
    leap = await says(chair, "!skip 29 February 2027")
    assert "29 February 2027 does not exist: 2027 is not a leap year." in leap

    mine = await says(anna, "!action me book the room")
    assert mine.startswith("Action #1 ") and mine.endswith(": book the room, no due date")
    assert "Action #1 me:" not in mine
    chris = await says(anna, "!action Chris Chair prepare slides")
    assert chris == "Action #2 Chris Chair: prepare slides, no due date"
    maria = await says(anna, "!action Maria review what is due to WP2")
    assert maria.startswith("Action #3 Maria: review what is due to WP2, no due date\n")
    assert "“Maria” is not on the roster, so nobody will be reminded of it." in maria
    assert await says(anna, "!done 1") == "Done: #1 book the room"
    assert (await says(anna, "!done 1")).startswith("Action #1 “book the room” is already done")

    paper = await says(anna, "!output add position-paper Micro-credentials")
    assert paper.startswith("Output #1 position paper “Micro-credentials” (")
    assert await says(anna, "!output 1 consultation") == (
        "#1 is now with the Forum Board for consultation."
    )
    refused = await says(bo, "!output 1 review")
    assert refused.startswith("Only the owner of output #1, the chairs or vice-chairs")
    back = await says(anna, "!output 1 drafting")
    assert "chair" in back and "#1" in back
    assert "with the Forum Board for consultation" in await says(bo, "!outputs")


async def test_a_meeting_run_live_then_its_minutes_by_date(group_room):
    people, room, _, first = group_room
    chair, anna = people["chair"], people["anna"]
    today = datetime.now(BRUSSELS).date()
    started = (await chair.ask(room, "!startmeeting"))["body"]
    assert started.startswith("**Meeting started:**")
    await anna.send_text(room, "!here")  # answered with a reaction, not a message
    await chair.send_text(room, "!agreed The work plan is adopted")
    ended = (await chair.ask(room, "!endmeeting"))["body"]
    assert " ran " in ended and "1 decision" in ended and "1 decisions" not in ended
    asked = await chair.send_text(room, f"!minutes {spoken(today)}")
    posted = await chair.wait_for_reply(room, asked, timeout=30)
    assert posted["body"].startswith(f"Minutes of {today:%a} {today.day} {today:%b %Y}, ")
    assert posted["body"].endswith(" posted below.")
    future = (await chair.ask(room, f"!minutes {spoken(first)}"))["body"]
    assert future.startswith(f"No meeting has taken place on {first:%A} {spoken(first)}.")
    extra = (await chair.ask(room, f"!minutes {spoken(today)} 11:00 please"))["body"]
    assert "`!minutes` takes nothing after it" in extra
