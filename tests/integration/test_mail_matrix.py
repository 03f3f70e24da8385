"""The meeting cycle by mail and calendar feed through the real `allies-bot
run` on a real Synapse, with real mail servers (aiosmtpd with STARTTLS and
AUTH, Dovecot over IMAPS): the chase mail arrives, a member's reply (quoted
text below it) becomes their update, `!updates` in the room lists it once,
a restart applies and sends nothing twice; `!calendar`'s feed follows a
chair's `!move`."""

from __future__ import annotations

import asyncio
import secrets
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import aiohttp
import icalendar
import pytest_asyncio

from tests.loopback import free_port
from tests.mail_servers import Dovecot, SmtpSink, append, count, reply_to, self_signed

from .bot_process import BotProcess, GroupSpec, render_config

READY = "sync loop running"
BRUSSELS = ZoneInfo("Europe/Brussels")


def one_meeting_in(hours: int) -> tuple[datetime, str]:
    """A one-off meeting `hours` from now (whole minutes), and its cadence: the
    agenda and the chase (two days before, generous grace) are due at once."""
    start = (datetime.now(BRUSSELS) + timedelta(hours=hours)).replace(second=0, microsecond=0)
    return (
        start,
        f"""
[groups.cadence]
dates = ["{start:%Y-%m-%d %H:%M}"]
duration = "1h"
[groups.announce]
agenda_before = "7d"
reminders = []
chase_updates = "2d"
grace = "3d"
""",
    )


@pytest_asyncio.fixture(loop_scope="session")
async def mailed_group(synapse, make_member, tmp_path):
    cert, key = self_signed(tmp_path)
    smtp, imap = SmtpSink(cert, key), Dovecot(cert, key)
    smtp.start()
    await imap.start()
    chair, anna = await make_member("chair"), await make_member("anna")
    password = secrets.token_urlsafe(12)
    bot_user = (await synapse.register_user(f"bot-{secrets.token_hex(3)}", password)).user_id
    room = await chair.create_room("ALLIES", invite=[anna.user_id, bot_user])
    await anna.join(room)
    start, cadence = one_meeting_in(30)
    spec = GroupSpec(
        "allies",
        room,
        [chair.user_id],
        {chair.user_id: "FORTHEM", anna.user_id: "CIVIS"},
        extra_toml=cadence,
        email="allies@lists.example.org",
        addresses={chair.user_id: "chris@forthem.example", anna.user_id: "anna@civis.example"},
    )
    port = free_port()
    web = f'[web]\nlisten = "127.0.0.1:{port}"\npublic_url = "http://127.0.0.1:{port}"\n'
    top = web + smtp.toml(cert) + imap.toml()
    bot = BotProcess(tmp_path, top + render_config(synapse.base_url, bot_user, [spec]), password)
    bot.extra_env = {
        "ALLIES_BOT_SMTP_PASSWORD": smtp.password,
        "ALLIES_BOT_IMAP_PASSWORD": imap.password,
    }
    await bot.start()
    await bot.wait_for_log(READY)
    yield {"chair": chair, "anna": anna}, room, bot, smtp, imap, start, port
    await bot.stop()
    smtp.stop()
    imap.stop()


async def test_reply_to_the_chase_mail_is_the_update_once_across_a_restart(mailed_group):
    people, room, bot, smtp, imap, _, _ = mailed_group
    anna = people["anna"]
    received = await smtp.wait_for(3, timeout=30)
    mails = {r.recipients[0]: r.mail for r in received}
    assert set(mails) == {"allies@lists.example.org", "chris@forthem.example", "anna@civis.example"}
    chase = mails["anna@civis.example"]
    assert "CIVIS" in chase.get_body(preferencelist=("plain",)).get_content()
    answer = reply_to(chase, "anna@civis.example", "CIVIS opened two ULLL hubs.")
    await append(imap, answer)

    async def listed() -> str:
        return (await anna.ask(room, "!updates"))["body"]

    deadline = asyncio.get_running_loop().time() + 30
    while "(by e-mail)" not in (body := await listed()):
        assert asyncio.get_running_loop().time() < deadline, body
        await asyncio.sleep(1)
    assert "(1 update)" in body and body.count("CIVIS opened two ULLL hubs.") == 1
    confirmations = await smtp.wait_for(4, timeout=30)
    assert confirmations[-1].recipients == ["anna@civis.example"]

    await bot.stop()
    await append(imap, answer)  # delivered twice, as happens: the same mail, the same Message-ID
    sent_before = len(smtp.received)
    await bot.start()
    await bot.wait_for_log(READY)
    await _until_empty(imap)
    body = await listed()  # the same mail again (same Message-ID): still one update
    assert "(1 update)" in body and body.count("CIVIS opened two ULLL hubs.") == 1
    await asyncio.sleep(2)
    kinds = [r.mail["Subject"] for r in smtp.received[sent_before:]]
    assert not any("agenda" in k or "your alliance's update" in k for k in kinds), kinds


async def _until_empty(imap: Dovecot) -> None:
    for _ in range(300):
        if await count(imap, "INBOX") == 0:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the bot never read the mailbox")


async def test_the_feed_from_calendar_follows_a_move(mailed_group):
    people, room, _bot, _smtp, _imap, start, port = mailed_group
    chair, anna = people["chair"], people["anna"]
    answer = (await anna.ask(room, "!calendar"))["body"]
    url = next(w for w in answer.split() if w.startswith(f"http://127.0.0.1:{port}/calendar/"))
    async with aiohttp.ClientSession() as http:

        async def event() -> icalendar.Event:
            async with http.get(url) as response:
                assert response.status == 200
                [found] = icalendar.Calendar.from_ical(await response.read()).walk("VEVENT")
                return found

        before = await event()
        later = start + timedelta(days=1)
        moved = (await chair.ask(room, f"!move {start:%d %B %Y} to {later:%d %B %Y %H:%M}"))["body"]
        assert moved.startswith("Understood: move the meeting")
        after = await event()
    assert after["UID"] == before["UID"] and after["SEQUENCE"] == before["SEQUENCE"] + 1
    assert after.decoded("DTSTART") == later
