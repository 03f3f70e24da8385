"""The web archive over real HTTP: `!web` sends a one-time link privately,
the link signs a browser in once, pages show only one's own groups (404 for
the rest), member text stays text, search uses the full-text index, and
signing out needs the page's form token."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from bot.chat.transport import private_to
from bot.web.server import WebServer
from tests.unit.fakes import CONFIG_WITH_CADENCE, make_harness

CHAIR, ANNA, BO, OUTSIDER = (f"@{n}:example.org" for n in ("chair", "anna", "bo", "stranger"))
WEB = '\n[web]\nlisten = "127.0.0.1:8080"\npublic_url = "http://127.0.0.1:8080"\n'
OTHER = """
[[groups]]
id = "other"
name = "OTHER"
room = "!other:example.org"
chairs = ["@stranger:example.org"]
"""


@pytest.fixture
async def site(tmp_path):
    h = await make_harness(tmp_path, WEB + CONFIG_WITH_CADENCE + OTHER)
    h.core.web = h.config.web
    server = WebServer(replace(h.config.web, port=0), h.core)
    await server.start()
    yield h, f"http://127.0.0.1:{server.port}"
    await server.stop()
    await h.core.storage.close()


def browser_session() -> aiohttp.ClientSession:
    """A client that keeps cookies from 127.0.0.1, as a browser does."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def link_for(h, who: str) -> str:
    replies = await h.say(who, "!web")
    [private] = [r for r in replies if r.room_id == private_to(who)]
    [public] = [r for r in replies if r.room_id != private_to(who)]
    assert "privately" in public.body and "/signin/" not in public.body
    return re.search(r"http://127\.0\.0\.1:8080(/signin/\S+)", private.body)[1]


async def a_meeting_with_a_decision(h) -> str:
    """The meeting of Fri 3 April 2026; returns what `!minutes` answered."""
    await h.say_at(
        datetime(2026, 3, 2, 9, tzinfo=UTC), ANNA, "!update We ran <script>alert(1)</script>"
    )
    await h.say_at(datetime(2026, 4, 3, 8, 58, tzinfo=UTC), CHAIR, "!startmeeting")
    await h.say(CHAIR, "!agreed Adopt the micro-credentials catalogue")
    await h.say(CHAIR, "!action Anna draft the WP2 summary due 30 April 2026")
    await h.say(CHAIR, "!endmeeting")
    replies = await h.say(CHAIR, "!minutes")
    return replies[0].body


async def test_a_link_signs_in_once_and_shows_only_ones_own_groups(site):
    h, base = site
    path = await link_for(h, ANNA)
    async with browser_session() as browser:
        async with browser.get(base + path) as page:  # a link preview: nothing used up
            assert page.status == 200 and "Sign in" in await page.text()
        async with browser.post(base + path, allow_redirects=False) as done:
            assert done.status == 303
            cookie = done.cookies["allies_session"]
            assert cookie["httponly"] and cookie["samesite"] == "Lax"
        async with browser.get(base + "/") as index:
            body = await index.text()
            assert 'href="/g/allies"' in body and "/g/other" not in body
        for path_of_other in ("/g/other", "/g/other/decisions", "/g/nope"):
            async with browser.get(base + path_of_other) as hidden:
                assert hidden.status == 404
    async with browser_session() as second:
        async with second.post(base + path, allow_redirects=False) as again:
            assert again.status == 410 and "used already" in await again.text()
        async with second.get(base + "/g/allies") as anonymous:
            assert anonymous.status == 404


async def test_an_expired_link_and_an_outsider_get_clear_answers(site):
    h, base = site
    path = await link_for(h, ANNA)
    h.clock += timedelta(minutes=16)
    async with browser_session() as browser:
        async with browser.post(base + path) as late:
            assert late.status == 410 and "expired" in await late.text()
        async with browser.post(base + "/signin/made-up") as forged:
            assert forged.status == 404
    [refused] = await h.say("@guest:example.org", "!web")
    assert "/signin/" not in refused.body and "members" in refused.body


async def test_web_email_says_why_it_cannot_mail_and_web_takes_no_other_word(site):
    h, _base = site
    [no_mail] = await h.say(ANNA, "!web email")  # this harness has no `[email]`
    assert "sends no e-mail" in no_mail.body and "`!web`" in no_mail.body
    h.core.mailer = object()  # mail configured; Anna's roster line has no address
    [no_address] = await h.say(ANNA, "!web email")
    assert "no e-mail address for you" in no_address.body
    [wrong] = await h.say(ANNA, "!web please")
    assert "`!web email`" in wrong.body and "`!web signout`" in wrong.body
    async with h.core.storage.transaction() as repo:
        assert await repo.web_links_since(ANNA, h.clock - timedelta(hours=1)) == 0


async def test_pages_keep_member_text_as_text_and_search_finds_decisions(site):
    h, base = site
    answer = await a_meeting_with_a_decision(h)
    assert answer.endswith("On the web: http://127.0.0.1:8080/g/allies/meetings/2026-04-03")
    h.clock = datetime(2026, 4, 3, 10, 30, tzinfo=UTC)  # after the meeting
    path = await link_for(h, BO)
    async with browser_session() as browser:
        await browser.post(base + path)
        async with browser.get(base + "/g/allies/meetings/2026-04-03") as page:
            body = await page.text()
            headers = page.headers
        assert "Adopt the micro-credentials catalogue" in body
        assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body
        assert "default-src 'none'" in headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["Cache-Control"].startswith("private")
        for query, count in (("catalog", 1), ("micro catalogue", 1), ("budget", 0),
                             ('"; DROP TABLE meeting_notes; --', 0)):  # fmt: skip
            async with browser.get(base + "/g/allies/decisions", params={"q": query}) as found:
                text = await found.text()
                assert found.status == 200
                assert text.count("Adopt the micro-credentials catalogue") == count, query
        async with browser.get(base + "/g/allies/decisions?year=2025") as other_year:
            assert "Adopt the" not in await other_year.text()
        async with browser.get(base + "/g/allies/meetings") as listing:
            rows = await listing.text()
        assert re.search(r"2026-04-03\">Friday 3 April 2026[^<]*</a></td><td>held</td>", rows)
        assert "upcoming" in rows and "not recorded" in rows
        async with browser.get(base + "/g/allies") as home:
            text = await home.text()
            assert "draft the WP2 summary" in text and "/g/allies/meetings/2026-04-03" in text


async def test_sign_out_needs_the_form_token_and_web_signout_ends_every_session(site):
    h, base = site
    async with browser_session() as browser:
        await browser.post(base + await link_for(h, ANNA))
        async with browser.post(base + "/signout", data={"csrf": "guess"}) as forged:
            assert forged.status == 403
        async with browser.get(base + "/g/allies") as still:
            assert still.status == 200
            csrf = re.search(r'name="csrf" value="([^"]+)"', await still.text())[1]
        async with browser.post(
            base + "/signout", data={"csrf": csrf}, allow_redirects=False
        ) as out:
            assert out.status == 303
        async with browser.get(base + "/g/allies") as gone:
            assert gone.status == 404
        await browser.post(base + await link_for(h, ANNA))
        [reply] = await h.say(ANNA, "!web signout")
        assert reply.body == "Signed out: I ended your session in the browser."
        async with browser.get(base + "/g/allies") as ended:
            assert ended.status == 404
    [again] = await h.say(ANNA, "!web signout")
    assert again.body == "You were not signed in anywhere; nothing changed."
    [wrong] = await h.say(ANNA, "!web please")
    assert "Use `!web`" in wrong.body


async def test_actions_show_what_is_overdue_and_outputs_their_way(site):
    h, base = site
    await a_meeting_with_a_decision(h)
    await h.say(ANNA, "!output add position-paper Micro-credentials <i>in</i> ULLL owner bo")
    h.clock = datetime(2026, 5, 5, 9, tzinfo=UTC)  # the action was due 30 April
    async with browser_session() as browser:
        await browser.post(base + await link_for(h, CHAIR))
        async with browser.get(base + "/g/allies/actions") as page:
            body = await page.text()
        [row] = [line for line in body.splitlines() if "draft the WP2 summary" in line]
        assert "<td>@anna:example.org</td><td>FORTHEM</td>" in row
        assert "Thu 30 Apr 2026 <strong>(overdue)</strong>" in body
        async with browser.get(base + "/g/allies/outputs") as page:
            body = await page.text()
        assert "Micro-credentials &lt;i&gt;in&lt;/i&gt; ULLL" in body and "<i>in</i>" not in body
        assert "position paper" in body


async def test_the_report_of_a_year_reads_as_the_bot_posts_it(site):
    h, base = site
    await a_meeting_with_a_decision(h)
    h.clock = datetime(2026, 4, 10, 9, tzinfo=UTC)
    async with browser_session() as browser:
        await browser.post(base + await link_for(h, ANNA))
        async with browser.get(base + "/g/allies/reports") as index:
            assert 'href="/g/allies/reports/2026"' in await index.text()
        async with browser.get(base + "/g/allies/reports/2026") as page:
            body = await page.text()
        assert "ALLIES: report to the WP2 Board, 2026" in body
        assert "Adopt the micro-credentials catalogue" in body
        h.clock = datetime(2026, 4, 20, 10, 0, tzinfo=UTC)  # an extra meeting, ad hoc
        await h.say(CHAIR, "!startmeeting")
        await h.say(CHAIR, "!agreed Publish the RPL guide")
        async with browser.get(base + "/g/allies/reports/2026") as again:
            assert "Publish the RPL guide" in await again.text()  # not a stale copy
        async with browser.get(base + "/g/allies/reports/2019") as empty:
            assert "no meetings on record in 2019" in await empty.text()
        async with browser.get(base + "/g/allies/reports/20x6") as wrong:
            assert wrong.status == 404


async def test_forget_me_signs_out_and_leaves_pages_without_the_person(site):
    h, base = site
    await a_meeting_with_a_decision(h)
    h.clock = datetime(2026, 4, 3, 10, 30, tzinfo=UTC)
    async with browser_session() as anna, browser_session() as chair:
        await anna.post(base + await link_for(h, ANNA))
        await chair.post(base + await link_for(h, CHAIR))
        async with chair.get(base + "/g/allies/meetings/2026-04-03") as before:
            assert "@anna:example.org" in await before.text()
        await h.say(ANNA, "!forget me")
        await h.say(ANNA, "!forget me confirm")
        async with anna.get(base + "/g/allies") as signed_out:
            assert signed_out.status == 404
        for path in ("/g/allies", "/g/allies/meetings/2026-04-03", "/g/allies/actions"):
            async with chair.get(base + path) as page:
                body = await page.text()
            assert "@anna:example.org" not in body and "We ran" not in body, path
        assert "a former member (FORTHEM)" in body


async def test_another_site_cannot_sign_a_browser_in(site):
    h, base = site
    path = await link_for(h, ANNA)
    async with browser_session() as browser:
        evil = {"Origin": "https://evil.example"}
        async with browser.post(base + path, headers=evil, allow_redirects=False) as refused:
            assert refused.status == 403
        ours = {"Origin": base}
        async with browser.post(base + path, headers=ours, allow_redirects=False) as done:
            assert done.status == 303  # the link was not used up by the refused attempt
