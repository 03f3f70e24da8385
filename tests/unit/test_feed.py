"""The calendar feed over real HTTP, read back as a calendar application
reads it (icalendar + recurring-ical-events): one UID per meeting, SEQUENCE
rising with every change, cancellations kept, wall-clock time across DST,
conditional requests, and links that stop working when rotated."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import aiohttp
import icalendar
import pytest
import recurring_ical_events

from bot.web.server import WebServer
from tests.unit.fakes import CONFIG_WITH_CADENCE, make_harness

CHAIR, ANNA, OUTSIDER = "@chair:example.org", "@anna:example.org", "@stranger:example.org"
BRUSSELS = ZoneInfo("Europe/Brussels")
WEB = '\n[web]\nlisten = "127.0.0.1:8080"\npublic_url = "http://127.0.0.1:8080"\n'
APRIL_3 = datetime(2026, 4, 3, 11, 0, tzinfo=BRUSSELS)


@pytest.fixture
async def served(tmp_path):
    h = await make_harness(tmp_path, WEB + CONFIG_WITH_CADENCE)
    h.core.web = h.config.web
    server = WebServer(replace(h.config.web, port=0), h.core)  # a free port
    await server.start()
    async with aiohttp.ClientSession() as http:
        yield h, server, http
    await server.stop()
    await h.core.storage.close()


async def feed_path(h) -> str:
    [reply] = await h.say(ANNA, "!calendar")
    url = next(w for w in reply.body.split() if w.startswith("http://"))
    return url.removeprefix("http://127.0.0.1:8080")


async def fetch(server, http, path, **headers):
    async with http.get(f"http://127.0.0.1:{server.port}{path}", headers=headers) as response:
        return response.status, response.headers, await response.read()


async def events(server, http, path) -> dict[str, icalendar.Event]:
    status, _, body = await fetch(server, http, path)
    assert status == 200
    calendar = icalendar.Calendar.from_ical(body)
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def april_3(found: dict[str, icalendar.Event]) -> icalendar.Event:
    [event] = [e for uid, e in found.items() if uid.startswith("2026-04-03T11:00-")]
    return event


async def test_calendar_answers_members_with_links_and_how_to_subscribe(served):
    h, _server, _http = served
    [reply] = await h.say(ANNA, "!calendar")
    assert "Subscribe to the ALLIES meetings" in reply.body
    assert "webcal://127.0.0.1:8080/calendar/" in reply.body
    for app in ("Outlook", "Google Calendar", "Apple Calendar"):
        assert app in reply.body
    [again] = await h.say(ANNA, "!calendar")
    assert [w for w in again.body.split() if "/calendar/" in w] == [
        w for w in reply.body.split() if "/calendar/" in w
    ]
    [outsider] = await h.say(OUTSIDER, "!calendar")
    assert "/calendar/" not in outsider.body
    [extra] = await h.say(ANNA, "!calendar please")
    assert "takes no arguments" in extra.body


async def test_the_feed_is_a_calendar_with_its_zone_name_and_refresh(served):
    h, server, http = served
    status, headers, body = await fetch(server, http, await feed_path(h))
    assert status == 200 and headers["Content-Type"].startswith("text/calendar")
    assert headers["Referrer-Policy"] == "same-origin"
    calendar = icalendar.Calendar.from_ical(body)
    assert str(calendar["X-WR-CALNAME"]) == "ALLIES"
    assert "REFRESH-INTERVAL" in calendar and "X-PUBLISHED-TTL" in calendar
    assert [str(z["TZID"]) for z in calendar.walk("VTIMEZONE")] == ["Europe/Brussels"]
    starts = [e.decoded("DTSTART") for e in calendar.walk("VEVENT")]
    now = h.clock
    assert min(starts) >= now - timedelta(days=190) and max(starts) <= now + timedelta(days=560)
    assert min(starts) < now < max(starts)
    event = april_3({str(e["UID"]): e for e in calendar.walk("VEVENT")})
    assert event["SEQUENCE"] == 0 and str(event["STATUS"]) == "CONFIRMED"
    assert "https://meet.example.org/allies" in str(event["DESCRIPTION"])
    assert "LAST-MODIFIED" in event and "DTSTAMP" in event


async def test_wall_clock_time_holds_across_dst_as_an_application_expands_it(served):
    h, server, http = served
    _, _, body = await fetch(server, http, await feed_path(h))
    calendar = icalendar.Calendar.from_ical(body)
    found = recurring_ical_events.of(calendar).between(datetime(2026, 1, 1), datetime(2026, 12, 31))
    local = [e.decoded("DTSTART").astimezone(BRUSSELS) for e in found]
    assert {(s.hour, s.minute) for s in local} == {(11, 0)}
    assert {s.astimezone(UTC).hour for s in local} == {9, 10}  # summer and winter


async def test_move_skip_unskip_and_add_show_up_as_the_same_event_changed(served):
    h, server, http = served
    path = await feed_path(h)
    before = april_3(await events(server, http, path))
    uid = str(before["UID"])
    await h.say(CHAIR, "!move 3 April to 10 April 14:00")
    moved = (await events(server, http, path))[uid]
    assert moved["SEQUENCE"] == 1
    assert moved.decoded("DTSTART") == datetime(2026, 4, 10, 14, 0, tzinfo=BRUSSELS)
    assert (await events(server, http, path))[uid]["SEQUENCE"] == 1  # a re-read changes nothing
    await h.say(CHAIR, "!skip 10 April Easter break")
    skipped = (await events(server, http, path))[uid]
    assert str(skipped["STATUS"]) == "CANCELLED" and skipped["SEQUENCE"] == 2
    await h.say(CHAIR, "!unskip 10 April")
    back = (await events(server, http, path))[uid]
    assert str(back["STATUS"]) == "CONFIRMED" and back["SEQUENCE"] == 3
    assert back.decoded("DTSTART") == datetime(2026, 4, 10, 14, 0, tzinfo=BRUSSELS)
    await h.say(CHAIR, "!meeting add 20 April 11:00 extra session")
    added = [e for k, e in (await events(server, http, path)).items() if k.startswith("2026-04-20")]
    assert len(added) == 1 and added[0]["SEQUENCE"] == 0


async def test_conditional_requests_and_head(served):
    h, server, http = served
    path = await feed_path(h)
    status, headers, _ = await fetch(server, http, path)
    assert status == 200
    etag, modified = headers["ETag"], headers["Last-Modified"]
    assert (await fetch(server, http, path, **{"If-None-Match": etag}))[0] == 304
    assert (await fetch(server, http, path, **{"If-Modified-Since": modified}))[0] == 304
    async with http.head(f"http://127.0.0.1:{server.port}{path}") as head:
        assert head.status == 200 and head.headers["ETag"] == etag
        assert await head.read() == b""
    await h.say(CHAIR, "!skip 3 April")
    status, changed, _ = await fetch(server, http, path, **{"If-None-Match": etag})
    assert status == 200 and changed["ETag"] != etag


async def test_unknown_wrong_and_rotated_links_are_404(served):
    h, server, http = served
    path = await feed_path(h)
    token = path.split("/")[2]
    assert (await fetch(server, http, "/calendar/nope/allies.ics"))[0] == 404
    assert (await fetch(server, http, f"/calendar/{token}/other.ics"))[0] == 404
    assert (await fetch(server, http, "/metrics"))[0] == 404
    async with h.core.storage.transaction() as repo:
        await repo.rotate_feed_token("allies", h.clock)
    assert (await fetch(server, http, path))[0] == 404
    assert (await fetch(server, http, await feed_path(h)))[0] == 200


async def test_without_web_calendar_says_so_and_offers_the_file(calendar_harness):
    [reply] = await calendar_harness.say(ANNA, "!calendar")
    assert "`[web]`" in reply.body and "`!ics`" in reply.body


def test_a_new_reason_or_call_link_raises_sequence_a_reread_does_not():
    from bot.calendar.cadence import Meeting
    from bot.calendar.revisions import revise

    start = datetime(2026, 4, 3, 11, 0, tzinfo=BRUSSELS)
    meeting = Meeting("2026-04-03T11:00", start, start + timedelta(hours=1))
    first = revise(None, meeting, start, "ALLIES\0https://meet.example.org/a")
    assert revise(first, meeting, start, "ALLIES\0https://meet.example.org/a") is first
    assert revise(first, meeting, start, "ALLIES\0https://meet.example.org/b").sequence == 1
    reason = Meeting(meeting.key, meeting.start, meeting.end, reason="room change")
    assert revise(first, reason, start, "ALLIES\0https://meet.example.org/a").sequence == 1
