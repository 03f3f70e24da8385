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
        extra_toml=cadence(first),
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
