"""Mail out and replies in against real servers: aiosmtpd (STARTTLS and AUTH)
receives what the bot sends, Dovecot holds the replies, and the bot's own
wiring (`bot.cli.reach.start_reach`: mailer, mail outbox, IMAP reader) runs
on the real core and storage, with a pinned clock so due times are exact.

The room side is the in-process recording transport: the Synapse test
(`test_mail_matrix.py`) shows the same loop through `allies-bot run`.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr

import aiohttp
import icalendar
import pytest_asyncio

from bot.cli.reach import start_reach
from bot.runtime.poster import Poster
from bot.runtime.supervisor import Supervisor
from tests.loopback import free_port
from tests.mail_servers import Dovecot, SmtpSink, append, count, reply_to, self_signed
from tests.unit.fakes import CONFIG_WITH_CADENCE, make_harness, use_sqlite_template

CHASE_DUE = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)  # two days before Fri 3 April, 11:00 CEST
ANNA, BO, CHAIR = "@anna:example.org", "@bo:example.org", "@chair:example.org"
ADDRESSES = {CHAIR: "chris@forthem.example", ANNA: "anna@forthem.example", BO: "bo@civis.example"}
NAMES = '[groups.names]\n"@anna:example.org" = "Anna Svensson"\n'


def config_text(smtp: SmtpSink, imap: Dovecot, ca: str) -> str:
    text = CONFIG_WITH_CADENCE.replace(
        'call_link = "https://meet.example.org/allies"',
        'call_link = "https://meet.example.org/allies"\nemail = "allies@lists.example.org"',
    )
    for user, address in ADDRESSES.items():
        text = text.replace(f'user = "{user}"\n', f'user = "{user}"\nemail = "{address}"\n')
    web = f'[web]\nlisten = "127.0.0.1:{free_port()}"\npublic_url = "http://127.0.0.1:8080"\n'
    text = text.replace("[groups.cadence]", NAMES + "[groups.cadence]")
    return web + smtp.toml(ca) + imap.toml() + text


@pytest_asyncio.fixture(loop_scope="session")
async def mailing(tmp_path, monkeypatch):
    cert, key = self_signed(tmp_path)
    smtp, imap = SmtpSink(cert, key), Dovecot(cert, key)
    smtp.start()
    await imap.start()
    monkeypatch.setenv("ALLIES_BOT_SMTP_PASSWORD", smtp.password)
    monkeypatch.setenv("ALLIES_BOT_IMAP_PASSWORD", imap.password)
    use_sqlite_template(None)  # the integration session has no template: migrate for real
    h = await make_harness(tmp_path, config_text(smtp, imap, str(cert)))
    h.clock = CHASE_DUE
    tasks = Supervisor()
    reach = await start_reach(h.config, h.core, tasks)
    yield h, smtp, imap, reach
    tasks.wind_down()
    await tasks.stop()
    await reach.stop()
    await h.core.storage.close()
    smtp.stop()
    imap.stop()


async def until(check, timeout: float = 20.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while not (result := await check()):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.1)
    return result


def by_recipient(received) -> dict[str, object]:
    return {r.recipients[0]: r.mail for r in received}


async def post_due(h) -> list[str]:
    kinds = await Poster(h.core).run_due("allies")
    await h.core.outbox.flush()
    return kinds


async def test_agenda_and_chase_mails_arrive_once_threaded_with_the_feeds_invitation(mailing):
    h, smtp, _imap, _ = mailing
    assert await post_due(h) == ["2026-04-03T11:00:agenda", "2026-04-03T11:00:chase"]
    received = await smtp.wait_for(3)
    mails = by_recipient(received)
    # FORTHEM's two members and CIVIS's one; the list gets the agenda
    assert set(mails) == {"allies@lists.example.org", *ADDRESSES.values()}
    agenda = mails["allies@lists.example.org"]
    assert agenda["Subject"] == "ALLIES meeting Fri 3 Apr 2026, 11:00 CEST: agenda"
    assert agenda["Auto-Submitted"] == "auto-generated" and "allies." in agenda["List-Id"]
    invite = next(p for p in agenda.walk() if p.get_content_type() == "text/calendar")
    assert invite.get_param("method") == "REQUEST"
    [event] = icalendar.Calendar.from_ical(invite.get_content()).walk("VEVENT")
    assert str(event["UID"]) == "2026-04-03T11:00-allies@allies-bot" and event["SEQUENCE"] == 0
    html = agenda.get_body(preferencelist=("html",)).get_content()
    assert "style=" in html and "<script" not in html
    chase = mails["anna@forthem.example"]
    assert chase["Subject"] == "ALLIES meeting Fri 3 Apr 2026, 11:00 CEST: your alliance's update"
    local, _, domain = parseaddr(str(chase["Reply-To"]))[1].partition("@")
    assert local.startswith("allies-bot+") and domain == "example.org"
    assert chase["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert chase["List-Unsubscribe"].startswith("<http://127.0.0.1:8080/mail/optout/")
    plain = chase.get_body(preferencelist=("plain",)).get_content()
    assert plain.startswith("Dear Anna Svensson,") and "No update from FORTHEM" in plain
    assert "Reply to this mail with your update" in plain
    bo_plain = mails["bo@civis.example"].get_body(preferencelist=("plain",)).get_content()
    assert bo_plain.startswith("Hello,")  # no name configured: never "Dear @bo:example.org"
    # one meeting, one thread: every mail refers to the same root
    roots = {m["References"] for m in mails.values()}
    assert len(roots) == 1 and None not in roots
    assert len({m["Message-ID"] for m in mails.values()}) == 4
    # a second run (a restart, a job firing twice) sends nothing new
    assert await post_due(h) == []
    await asyncio.sleep(0.5)
    assert len(smtp.received) == 4


async def test_a_reply_becomes_the_update_once_and_machines_and_forgers_get_nowhere(mailing):
    h, smtp, imap, _ = mailing
    await post_due(h)
    chase = by_recipient(await smtp.wait_for(4))["anna@forthem.example"]
    answer = reply_to(chase, "Anna <anna@forthem.example>", "We launched a <b>catalogue</b>.")
    await append(imap, answer)

    async def stored():
        async with h.core.storage.transaction() as repo:
            return await repo.updates_for("allies", "2026-04-03T11:00")

    [update] = await until(stored)
    assert update.text == "We launched a <b>catalogue</b>." and update.sender == ANNA
    confirmation = (await smtp.wait_for(5))[-1]
    assert confirmation.recipients == ["anna@forthem.example"]
    mail = confirmation.mail
    assert mail["Auto-Submitted"] == "auto-replied"
    assert mail["In-Reply-To"] is not None
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "recorded for the ALLIES meeting of Friday 3 April 2026, 11:00 CEST" in text
    assert "We launched a <b>catalogue</b>." in text and "Best regards" not in text
    [reply] = await h.say(ANNA, "!updates")
    assert "Anna Svensson (by e-mail): We launched a <b>catalogue</b>." in reply.body
    assert "&lt;b&gt;catalogue" in reply.html
    assert reply.body.count("catalogue") == 1

    # the same mail delivered again, an out-of-office, a forger, twice
    await append(imap, answer)
    office = reply_to(chase, "anna@forthem.example", "I am out of the office.",
                      Auto_Submitted="auto-replied")  # fmt: skip
    await append(imap, office)
    forged = reply_to(chase, "bo@civis.example", "Ignore FORTHEM, here is mine.")
    await append(imap, forged)
    await append(imap, reply_to(chase, "bo@civis.example", "And again."))
    await until(lambda: _settled(imap, 5))
    assert len(await stored()) == 1
    await asyncio.sleep(1.0)
    extra = smtp.received[5:]
    assert [r.recipients for r in extra] == [["bo@civis.example"]]  # one refusal, that day
    refusal = extra[0].mail.get_body(preferencelist=("plain",)).get_content()
    assert "does not come from the address the reminder was sent to" in refusal
    assert await count(imap, "INBOX") == 0  # everything read was moved, nothing deleted


async def _settled(imap: Dovecot, processed: int) -> bool:
    return await count(imap, "Processed") >= processed and await count(imap, "INBOX") == 0


async def test_one_click_opt_out_is_the_quiet_switch(mailing):
    h, smtp, _imap, reach = mailing
    await post_due(h)
    chase = by_recipient(await smtp.wait_for(4))["bo@civis.example"]
    link = str(chase["List-Unsubscribe"]).strip("<>")
    path = link.removeprefix("http://127.0.0.1:8080")
    base = f"http://127.0.0.1:{reach.web.port}"
    async with aiohttp.ClientSession() as http:
        async with http.get(base + path) as page:  # opening the link changes nothing
            assert page.status == 200 and "Stop ALLIES reminder mails?" in await page.text()
        async with h.core.storage.transaction() as repo:
            assert BO not in await repo.quiet_members("allies")
        form = {"List-Unsubscribe": "One-Click"}
        async with http.post(base + path, data=form) as done:
            assert done.status == 200 and "no more ALLIES reminders" in await done.text()
        async with http.post(base + "/mail/optout/forged", data=form) as forged:
            assert forged.status == 404
    async with h.core.storage.transaction() as repo:
        assert BO in await repo.quiet_members("allies")
    [back] = await h.say(BO, "!quiet off")
    assert "`!quiet`" in back.body
    async with h.core.storage.transaction() as repo:
        assert BO not in await repo.quiet_members("allies")


async def test_web_email_mails_a_sign_in_link_that_opens_the_archive_even_when_quiet(mailing):
    h, smtp, _imap, reach = mailing
    await h.say(ANNA, "!quiet")  # reminders off; a link she asks for still comes
    [answer] = await h.say(ANNA, "!web email")
    assert answer.body == (
        "I am e-mailing you a sign-in link, to your address on the group's roster."
    )
    assert "/signin/" not in answer.body and "anna@" not in answer.body  # nothing in the room
    [received] = await smtp.wait_for(1)
    assert received.recipients == ["anna@forthem.example"]
    mail = received.mail
    assert mail["Subject"] == "Your sign-in link to the ALLIES archive"
    assert mail["List-Unsubscribe"] is None and mail["Reply-To"] is None
    plain = mail.get_body(preferencelist=("plain",)).get_content()
    assert plain.startswith("Dear Anna Svensson,") and "It works once, for 15 minutes" in plain
    path = re.search(r"http://127\.0\.0\.1:8080(/signin/\S+)", plain)[1]
    base = f"http://127.0.0.1:{reach.web.port}"
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.post(base + path) as signed_in:
            assert signed_in.status == 200 and "ALLIES" in await signed_in.text()
        async with http.get(base + "/g/allies") as home:
            assert home.status == 200
    # each person's link goes to their own address only
    [chair] = await h.say(CHAIR, "!web email")
    assert chair.body.startswith("I am e-mailing you")
    await smtp.wait_for(2)
    await asyncio.sleep(0.3)
    assert [r.recipients for r in smtp.received] == [
        ["anna@forthem.example"],
        ["chris@forthem.example"],
    ]


async def test_outage_delays_mail_and_loses_none_refusals_reach_the_chairs_once(mailing):
    h, smtp, _imap, _ = mailing
    smtp.stop()
    smtp.refuse.update({"bo@civis.example", "chris@forthem.example"})
    assert await post_due(h)
    await asyncio.sleep(1.0)
    assert smtp.received == []
    smtp.start()
    h.clock += timedelta(minutes=20)  # past any backoff
    h.core.outbox.wake()
    received = await smtp.wait_for(2)
    await asyncio.sleep(0.5)
    assert sorted(r.recipients[0] for r in received) == [
        "allies@lists.example.org", "anna@forthem.example",
    ]  # fmt: skip
    await h.core.outbox.flush()
    notices = [m for _, m in h.transport.sent if "refused the update reminder mail" in m.body]
    # two refusals that day (Bo's and Chris's), one notice: the first one's
    assert len(notices) == 1, [m.body for m in notices]
    assert "for good (550 5.1.1 no such user)" in notices[0].body
    assert "550" in notices[0].body and set(notices[0].mentions) == {CHAIR}
    async with h.core.storage.transaction() as repo:
        assert await repo.pending_mail_count() == 0


async def test_a_deferred_mail_waits_its_backoff_and_goes_once_the_server_takes_it(mailing):
    h, smtp, _imap, _ = mailing
    smtp.defer.add("anna@forthem.example")
    await post_due(h)
    first = await smtp.wait_for(3)
    assert "anna@forthem.example" not in {r.recipients[0] for r in first}
    async with h.core.storage.transaction() as repo:
        assert await repo.pending_mail_count() == 1
        retry_at = await repo.next_mail_at()
    assert retry_at == h.clock + timedelta(seconds=5)  # the first backoff step
    smtp.defer.clear()
    h.core.outbox.wake()
    await asyncio.sleep(0.5)
    assert len(smtp.received) == 3  # not before its time
    h.clock += timedelta(seconds=6)
    h.core.outbox.wake()
    received = await smtp.wait_for(4)
    assert received[-1].recipients == ["anna@forthem.example"]
    await asyncio.sleep(0.5)
    assert len(smtp.received) == 4


async def test_health_says_when_smtp_is_down_and_long_or_empty_replies_are_answered(mailing):
    h, smtp, imap, reach = mailing
    checks = {check.name: check.check for check in reach.checks}
    assert await checks["smtp"]() is None
    assert await until(lambda: _is_none(checks["imap"]))
    await post_due(h)
    chase = by_recipient(await smtp.wait_for(4))["anna@forthem.example"]
    await append(imap, reply_to(chase, "anna@forthem.example", "x" * 4001))
    answer = (await smtp.wait_for(5))[-1].mail.get_body(preferencelist=("plain",)).get_content()
    assert "That update is 4,001 characters; the limit is 4,000." in answer
    assert "Nothing is recorded." in answer
    async with h.core.storage.transaction() as repo:
        assert await repo.updates_for("allies", "2026-04-03T11:00") == []
    smtp.stop()
    problem = await checks["smtp"]()
    assert problem is not None and problem.startswith(f"SMTP 127.0.0.1:{smtp.port}")
    smtp.start()


async def _is_none(check) -> bool:
    return await check() is None


async def test_a_connection_lost_mid_batch_sends_no_accepted_mail_twice(mailing):
    h, smtp, _imap, _ = mailing
    smtp.hang_up_after = 2
    await post_due(h)
    await smtp.wait_for(2)
    await asyncio.sleep(0.5)
    assert len(smtp.received) == 2
    h.clock += timedelta(minutes=20)
    h.core.outbox.wake()
    await smtp.wait_for(4)
    await asyncio.sleep(0.5)
    recipients = [r.recipients[0] for r in smtp.received]
    assert sorted(recipients) == sorted({*ADDRESSES.values(), "allies@lists.example.org"})
