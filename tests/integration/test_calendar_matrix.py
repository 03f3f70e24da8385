"""Automatic posts and the calendar file through a real Synapse."""

from __future__ import annotations

import asyncio
import secrets
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest_asyncio
from icalendar import Calendar
from nio import DownloadResponse

from .bot_process import BotProcess, GroupSpec, render_config

READY = "sync loop running"
BRUSSELS = ZoneInfo("Europe/Brussels")


def cadence_soon(reminder_in: timedelta) -> tuple[str, datetime]:
    """A meeting three to four minutes from now, with one reminder due
    `reminder_in` from now (whole minutes: the reminder is never "0s" before)."""
    now = datetime.now(BRUSSELS)
    start = (now + timedelta(minutes=4)).replace(second=0, microsecond=0)
    offset = int((start - now - reminder_in).total_seconds())
    toml = f"""
[groups.cadence]
dates = ["{start:%Y-%m-%d %H:%M}"]
duration = "1h"
[groups.announce]
agenda_before = "7d"
reminders = ["{offset}s"]
chase_updates = "off"
grace = "2h"
"""
    return toml, start


@pytest_asyncio.fixture(loop_scope="session")
async def room_with_calendar(synapse, make_member, tmp_path):
    chair = await make_member("chair")
    anna = await make_member("anna")
    password = secrets.token_urlsafe(12)
    bot_user = await synapse.register_user(f"bot-{secrets.token_hex(3)}", password)
    room = await chair.create_room("ALLIES", invite=[anna.user_id, bot_user.user_id])
    await anna.join(room)
    toml, start = cadence_soon(timedelta(seconds=12))
    spec = GroupSpec("allies", room, [chair.user_id], {anna.user_id: "FORTHEM"}, extra_toml=toml)
    bot = BotProcess(tmp_path, render_config(synapse.base_url, bot_user.user_id, [spec]), password)
    yield anna, room, bot, bot_user.user_id, start
    if bot.process is not None:
        await bot.stop()


def bot_bodies(member, bot_user: str, room: str, prefix: str) -> list[str]:
    bodies = [e["content"].get("body", "") for e in member.events_from(bot_user, room)]
    return [b for b in bodies if b.startswith(prefix)]


async def test_agenda_and_reminder_posted_once_across_a_restart(room_with_calendar):
    anna, room, bot, bot_user, start = room_with_calendar
    await bot.start()
    await bot.wait_for_log(READY)
    agenda = await anna.wait_for(
        room,
        lambda e: (
            e.get("sender") == bot_user and e["content"].get("body", "").startswith("**Agenda:")
        ),
    )
    assert f"{start:%A} {start.day} {start:%B %Y}, {start:%H:%M}" in agenda["content"]["body"]
    assert "m.relates_to" not in agenda["content"]
    reminder = await anna.wait_for(
        room,
        lambda e: (
            e.get("sender") == bot_user and e["content"].get("body", "").startswith("**Reminder:")
        ),
        timeout=40,
    )
    body = reminder["content"]["body"]
    assert "meets in 3 minutes" in body or "meets in 4 minutes" in body
    assert await bot.stop() == 0
    await bot.start()
    await bot.wait_for_log(READY)
    await asyncio.sleep(2)
    await anna.sync_barrier()
    assert len(bot_bodies(anna, bot_user, room, "**Agenda:")) == 1
    assert len(bot_bodies(anna, bot_user, room, "**Reminder:")) == 1


async def test_ics_file_is_uploaded_and_downloadable(room_with_calendar):
    anna, room, bot, bot_user, start = room_with_calendar
    await bot.start()
    await bot.wait_for_log(READY)
    asked = await anna.send_text(room, "!ics")
    file_event = await anna.wait_for(
        room, lambda e: e.get("sender") == bot_user and e["content"].get("msgtype") == "m.file"
    )
    content = file_event["content"]
    assert content["m.relates_to"]["m.in_reply_to"]["event_id"] == asked
    assert content["info"]["mimetype"] == "text/calendar"
    download = await anna.client.download(content["url"])
    assert isinstance(download, DownloadResponse)
    [event] = Calendar.from_ical(download.body).walk("VEVENT")
    assert event.decoded("DTSTART") == start
    assert str(event["UID"]) == f"{start:%Y-%m-%dT%H:%M}-allies@allies-bot"


async def test_chair_skip_cancels_pending_reminder_member_is_refused(
    synapse, make_member, tmp_path
):
    chair = await make_member("chair")
    anna = await make_member("anna")
    password = secrets.token_urlsafe(12)
    bot_user = (await synapse.register_user(f"bot-{secrets.token_hex(3)}", password)).user_id
    room = await chair.create_room("ALLIES", invite=[anna.user_id, bot_user])
    await anna.join(room)
    toml, start = cadence_soon(timedelta(seconds=15))
    members = {anna.user_id: "FORTHEM", chair.user_id: "FORTHEM"}
    spec = GroupSpec("allies", room, [chair.user_id], members, extra_toml=toml)
    bot = BotProcess(tmp_path, render_config(synapse.base_url, bot_user, [spec]), password)
    await bot.start()
    try:
        await bot.wait_for_log(READY)
        day = f"{start:%Y-%m-%d}"
        refused = await anna.wait_for_reply(room, await anna.send_text(room, f"!skip {day}"))
        assert refused["body"] == "Sorry, `!skip` is for chairs and vice-chairs only."
        asked = await chair.send_text(room, f"!skip {day} room booked")
        echo = await chair.wait_for_reply(room, asked)
        assert echo["body"].startswith(f"Understood: skip the meeting of {start:%A} {start.day}")
        await chair.wait_for(
            room,
            lambda e: "is cancelled.** Reason: room booked" in e.get("content", {}).get("body", ""),
        )
        await asyncio.sleep(20)  # past the reminder's due time
        await chair.sync_barrier()
        assert bot_bodies(chair, bot_user, room, "**Reminder:") == []
        assert (
            "~~"
            in (await chair.wait_for_reply(room, await chair.send_text(room, "!schedule 1")))[
                "body"
            ]
        )
    finally:
        await bot.stop()
