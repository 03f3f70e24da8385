"""A whole meeting through a real Synapse: a chair, two members, the bot process."""

from __future__ import annotations

import asyncio
import secrets

import pytest_asyncio
from nio import DownloadResponse

from .bot_process import BotProcess, GroupSpec, render_config

READY = "sync loop running"


@pytest_asyncio.fixture(loop_scope="session")
async def meeting_room(synapse, make_member, tmp_path):
    chair, anna, bo = [await make_member(name) for name in ("chair", "anna", "bo")]
    password = secrets.token_urlsafe(12)
    bot_user = (await synapse.register_user(f"bot-{secrets.token_hex(3)}", password)).user_id
    room = await chair.create_room("ALLIES", invite=[anna.user_id, bo.user_id, bot_user])
    for person in (anna, bo):
        await person.join(room)
    members = {chair.user_id: "FORTHEM", anna.user_id: "FORTHEM", bo.user_id: "CIVIS"}
    spec = GroupSpec("allies", room, [chair.user_id], members)
    bot = BotProcess(tmp_path, render_config(synapse.base_url, bot_user, [spec]), password)
    await bot.start()
    await bot.wait_for_log(READY)
    yield chair, anna, bo, room, bot_user
    await bot.stop()


async def test_a_meeting_end_to_end(meeting_room):
    chair, anna, bo, room, bot_user = meeting_room
    await anna.ask(room, "!update FORTHEM: survey <b>drafted</b> @room")
    await bo.ask(room, "!update CIVIS: 12 offers mapped")
    started = await chair.ask(room, "!startmeeting")
    assert started["body"].startswith("**Meeting started:** ALLIES ad-hoc meeting")
    for member in (anna, bo):
        await member.send_and_wait_reaction(room, "!here", bot_user)
    await chair.send_and_wait_reaction(room, "!topic Joint survey", bot_user)
    await bo.send_and_wait_reaction(room, "!info CIVIS can pilot it", bot_user)
    await chair.send_and_wait_reaction(room, "!decision Survey goes out on 15 April", bot_user)
    one = await chair.ask(room, f"!action {bo.user_id} send the survey due 15.04.2027")
    bo_name = bo.user_id[1:].split(":")[0]  # Synapse's default display name: the localpart
    assert one["body"].startswith(f"Action #1 {bo_name}: send the survey, due Thu 15 Apr 2027")
    two = await anna.ask(room, f"!action {anna.user_id},Maria compare frameworks due 20.05.2027")
    assert "#2" in two["body"] and "Maria" in two["body"]
    await chair.ask(room, "!endmeeting")

    refused = await anna.ask(room, "!minutes")
    assert refused["body"] == "Sorry, `!minutes` is for chairs and vice-chairs only."
    ack = await chair.ask(room, "!minutes", timeout=15)
    assert "posted below" in ack["body"]
    minutes = await chair.wait_for(
        room,
        lambda e: (
            e.get("sender") == bot_user and e["content"].get("body", "").startswith("# Minutes:")
        ),
    )
    body, html = minutes["content"]["body"], minutes["content"]["formatted_body"]
    for expected in (
        "survey <b>drafted</b>",
        "CIVIS: 12 offers mapped",
        "Joint survey",
        "Survey goes out on 15 April",
        "send the survey",
        bo_name,
        "Maria",
        "Thu 15 Apr 2027",
        "Thu 20 May 2027",
    ):
        assert expected in body, expected
    assert "<b>" not in html and "@room" not in body and minutes["content"]["m.mentions"] == {}
    assert bo.user_id not in body  # people by name, not by id
    file_event = await chair.wait_for(
        room, lambda e: e.get("sender") == bot_user and e["content"].get("msgtype") == "m.file"
    )
    download = await chair.client.download(file_event["content"]["url"])
    assert isinstance(download, DownloadResponse)
    assert download.body.decode().startswith("# Minutes: ALLIES")

    again = await chair.ask(room, "!minutes", timeout=15)
    assert "updated: I edited the earlier post" in again["body"]
    edit = await chair.wait_for(
        room,
        lambda e: (
            e.get("sender") == bot_user
            and (e["content"].get("m.relates_to") or {}).get("event_id") == minutes["event_id"]
        ),
    )
    assert edit["content"]["m.relates_to"]["rel_type"] == "m.replace"
    assert edit["content"]["m.new_content"]["body"].startswith("# Minutes:")
    await chair.sync_barrier()
    await asyncio.sleep(1)
    posted = [
        e
        for e in chair.events_from(bot_user, room)
        if e["content"].get("body", "").startswith("# Minutes:")
    ]
    assert len(posted) == 1  # the second run edited, it did not post a copy

    agenda = await anna.ask(room, "!actions")
    assert "#1" in agenda["body"] and "#2" in agenda["body"]
    done = await bo.ask(room, "!done 1")
    assert done["body"] == "Done: #1 send the survey"
    after = await anna.ask(room, "!actions")
    assert "#1" not in after["body"] and "#2" in after["body"]

    asked = await chair.send_text(room, "!report")
    summary = await chair.wait_for_reply(room, asked, timeout=60)
    assert summary["body"].startswith("**ALLIES: report to the WP2 Board, ")
    assert "Meetings: 1 held, 0 skipped, 1 extra" in summary["body"]  # the ad-hoc meeting
    assert "Attendance: 2 of 2 alliances at least once" in summary["body"]
    assert "Decisions: 1" in summary["body"] and "2 opened, 1 closed" in summary["body"]

    def reply_file(msgtype: str):
        return lambda e: (
            e.get("sender") == bot_user
            and e["content"].get("msgtype") == msgtype
            and (e["content"].get("m.relates_to") or {}).get("m.in_reply_to", {}).get("event_id")
            == asked
        )

    image = await chair.wait_for(room, reply_file("m.image"), timeout=30)
    page = await chair.wait_for(room, reply_file("m.file"), timeout=30)
    assert image["content"]["info"]["mimetype"] == "image/png"
    assert page["content"]["body"].startswith("allies-report-")
    png = await chair.client.download(image["content"]["url"])
    assert isinstance(png, DownloadResponse) and png.body.startswith(b"\x89PNG")
    html = await chair.client.download(page["content"]["url"])
    assert isinstance(html, DownloadResponse)
    text = html.body.decode()
    assert text.count("<svg") == 2 and "Survey goes out on 15 April" in text
