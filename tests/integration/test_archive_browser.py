"""The web archive in a real browser (Playwright driving Debian's Chromium)
against the real `allies-bot run` on Synapse: a member sends `!web`, reads
the link in the bot's direct message as a Matrix client, signs in with one
click, opens the meeting, finds the decision by a word, prints the page to
PDF and reads its text; a used link shows a clear page; a member of another
group gets 404; a `<script>` in an update is shown as text and never runs.
axe-core finds no serious or critical violation on any page type, and a
screenshot of each page type is kept (`ALLIES_TEST_ARTIFACTS`, else the
test's folder)."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import shutil
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest_asyncio

from tests.loopback import free_port

from .bot_process import BotProcess, GroupSpec, render_config

READY = "sync loop running"
BRUSSELS = ZoneInfo("Europe/Brussels")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def meeting_now() -> tuple[datetime, str]:
    """A meeting that began ten minutes ago, so `!startmeeting` runs it."""
    start = (datetime.now(BRUSSELS) - timedelta(minutes=10)).replace(second=0, microsecond=0)
    return start, (
        f'\n[groups.cadence]\ndates = ["{start:%Y-%m-%d %H:%M}"]\nduration = "2h"\n'
        '[groups.announce]\nagenda_before = "1d"\nreminders = []\nchase_updates = "off"\n'
    )


@pytest_asyncio.fixture(loop_scope="session")
async def archive(synapse, make_member, tmp_path):
    chair = await make_member("chair")
    # the bot's direct rooms are encrypted: members read them as Element does
    anna, carol = [await make_member(n, encrypted=True) for n in ("anna", "carol")]
    password = secrets.token_urlsafe(12)
    bot_user = (await synapse.register_user(f"bot-{secrets.token_hex(3)}", password)).user_id
    room = await chair.create_room("ALLIES", invite=[anna.user_id, bot_user])
    await anna.join(room)
    other = await carol.create_room("OTHER", invite=[bot_user])
    start, cadence = meeting_now()
    groups = [
        GroupSpec("allies", room, [chair.user_id],
                  {chair.user_id: "FORTHEM", anna.user_id: "CIVIS"}, extra_toml=cadence),
        GroupSpec("other", other, [carol.user_id], {carol.user_id: "EUGLOH"}),
    ]  # fmt: skip
    port = free_port()
    web = f'[web]\nlisten = "127.0.0.1:{port}"\npublic_url = "http://127.0.0.1:{port}"\n'
    bot = BotProcess(tmp_path, web + render_config(synapse.base_url, bot_user, groups), password)
    await bot.start()
    await bot.wait_for_log(READY)
    yield {"chair": chair, "anna": anna, "carol": carol}, (room, other), bot_user, start, port
    await bot.stop()


async def sign_in_link(member, room: str, bot_user: str, port: int) -> str:
    known = set(member.invites) | {room}
    answer = await member.ask(room, "!web")
    assert "privately" in answer["body"] and "/signin/" not in answer["body"]
    for _ in range(200):
        if new := set(member.invites) - known:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("no direct room from the bot")
    direct = new.pop()
    await member.join(direct)
    message = await member.wait_for(
        direct,
        lambda e: e.get("sender") == bot_user and e.get("type") == "m.room.message",
        timeout=30,
    )
    found = re.search(rf"http://127\.0\.0\.1:{port}/signin/\S+", message["content"]["body"])
    assert found, message["content"]["body"]
    return found[0]


async def launch(playwright):
    """Debian's Chromium (no browser download); no sandbox, as root in CI."""
    return await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])


def artifacts(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("ALLIES_TEST_ARTIFACTS") or tmp_path) / "archive-screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def no_serious_violations(axe, page, name: str) -> None:
    results = await axe.run(page)
    serious = [
        (v["id"], v["impact"], len(v["nodes"]))
        for v in results.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]
    assert serious == [], f"{name}: {serious}"


async def test_from_web_in_the_room_to_the_minutes_in_a_browser(archive, tmp_path):
    from axe_playwright_python.async_playwright import Axe
    from playwright.async_api import async_playwright

    people, (room, other_room), bot_user, start, port = archive
    chair, anna, carol = people["chair"], people["anna"], people["carol"]
    await anna.ask(room, "!update CIVIS <script>alert('x')</script> hubs")
    await chair.ask(room, "!startmeeting")
    await chair.send_and_wait_reaction(
        room, "!agreed Adopt the micro-credentials catalogue", by=bot_user
    )
    await chair.ask(room, "!endmeeting")
    await chair.ask(room, "!minutes")
    link = await sign_in_link(anna, room, bot_user, port)
    shots, axe = artifacts(tmp_path), Axe()
    dialogs: list[str] = []
    errors: list[str] = []
    async with async_playwright() as playwright:
        browser = await launch(playwright)
        page = await browser.new_page(viewport={"width": 375, "height": 800})
        page.on("dialog", lambda dialog: dialogs.append(dialog.message))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        await page.goto(link)
        await no_serious_violations(axe, page, "sign-in")
        await page.screenshot(path=shots / "signin.png", full_page=True)
        await page.get_by_role("button", name="Sign in").click()
        await page.wait_for_url(f"http://127.0.0.1:{port}/")
        await no_serious_violations(axe, page, "index")
        await page.get_by_role("link", name="ALLIES").first.click()
        await page.wait_for_url(re.compile(r".*/g/allies$"))
        assert "Adopt the micro-credentials catalogue" in await page.inner_text("main")
        await no_serious_violations(axe, page, "group home")
        await page.screenshot(path=shots / "group.png", full_page=True)
        await page.get_by_role("link", name="Meetings").click()
        await no_serious_violations(axe, page, "meetings")
        await page.screenshot(path=shots / "meetings.png", full_page=True)
        await page.get_by_role("link", name=re.compile(f"{start.day} {start:%B %Y}")).first.click()
        main = await page.inner_text("main")
        assert "Adopt the micro-credentials catalogue" in main
        assert "<script>alert('x')</script>" in main  # shown as text
        await no_serious_violations(axe, page, "meeting")
        await page.screenshot(path=shots / "meeting.png", full_page=True)
        pdf = tmp_path / "meeting.pdf"
        await page.pdf(path=str(pdf))
        printed = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True)
        assert "Adopt the micro-credentials catalogue" in printed.stdout
        assert "Sign out" not in printed.stdout  # the print style hides the page's controls
        await page.get_by_role("link", name="Actions").click()
        await no_serious_violations(axe, page, "actions")
        await page.screenshot(path=shots / "actions.png", full_page=True)
        await page.get_by_role("link", name="Outputs").click()
        await no_serious_violations(axe, page, "outputs")
        await page.get_by_role("link", name="Reports").click()
        await page.get_by_role("link", name=f"Report {start.year}").click()
        assert "report to the WP2 Board" in await page.inner_text("main")
        await no_serious_violations(axe, page, "report")
        await page.screenshot(path=shots / "report.png", full_page=True)
        await page.get_by_role("link", name="Decisions").click()
        await page.get_by_label("Words").fill("catalog")
        await page.get_by_role("button", name="Search").click()
        assert "1 decision with “catalog”" in await page.inner_text("main")
        await no_serious_violations(axe, page, "decisions")
        await page.screenshot(path=shots / "decisions.png", full_page=True)

        used = await browser.new_page()
        await used.goto(link)
        await used.get_by_role("button", name="Sign in").click()
        assert "used already" in await used.inner_text("main")
        await no_serious_violations(axe, used, "used link")

        other = await browser.new_context()
        carol_page = await other.new_page()
        await carol_page.goto(await sign_in_link(carol, other_room, bot_user, port))
        await carol_page.get_by_role("button", name="Sign in").click()
        response = await carol_page.goto(f"http://127.0.0.1:{port}/g/allies")
        assert response.status == 404
        await browser.close()
    assert dialogs == [] and errors == []


async def test_an_overdue_action_in_the_browser_on_a_pinned_clock(tmp_path):
    """The bot's own clock pinned (in-process, the same server and pages):
    an action due last week shows as overdue, and the page stays accessible."""
    from dataclasses import replace as replaced
    from datetime import UTC

    from axe_playwright_python.async_playwright import Axe
    from playwright.async_api import async_playwright

    from bot.chat.transport import private_to
    from bot.web.server import WebServer
    from tests.unit.fakes import CONFIG_WITH_CADENCE, make_harness, use_sqlite_template

    use_sqlite_template(None)
    web = '[web]\nlisten = "127.0.0.1:8080"\npublic_url = "http://127.0.0.1:8080"\n'
    h = await make_harness(tmp_path, web + CONFIG_WITH_CADENCE)
    h.core.web = h.config.web
    server = WebServer(replaced(h.config.web, port=0), h.core)
    await server.start()
    try:
        h.clock = datetime(2026, 4, 3, 9, 5, tzinfo=UTC)
        await h.say("@chair:example.org", "!startmeeting")
        await h.say("@chair:example.org", "!action anna send the survey due 10 April 2026")
        await h.say("@chair:example.org", "!endmeeting")
        h.clock = datetime(2026, 4, 17, 9, 0, tzinfo=UTC)
        replies = await h.say("@anna:example.org", "!web")
        [private] = [r for r in replies if r.room_id == private_to("@anna:example.org")]
        path = re.search(r"/signin/\S+", private.body)[0]
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox"]
            )
            page = await browser.new_page()
            await page.goto(f"http://127.0.0.1:{server.port}{path}")
            await page.get_by_role("button", name="Sign in").click()
            await page.goto(f"http://127.0.0.1:{server.port}/g/allies/actions")
            row = page.get_by_role("row", name=re.compile("send the survey"))
            assert "(overdue)" in await row.inner_text()
            await no_serious_violations(Axe(), page, "actions with an overdue one")
            await page.screenshot(path=artifacts(tmp_path) / "actions-overdue.png", full_page=True)
            await browser.close()
    finally:
        await server.stop()
        await h.core.storage.close()
