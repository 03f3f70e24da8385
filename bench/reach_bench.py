"""The calendar feed and the mail out at scale, each beside a floor.

- Feed: a 60-alliance group meeting every six weeks for three years (and a
  chair's moves and skips), its feed served by the bot's web server on
  loopback. Figures: full GETs and 304 answers (p50/p95, client-measured
  round trips), beside a bare aiohttp server answering a body of the same
  size from memory (the floor: what HTTP on loopback costs). Targets: feed
  p95 ≤ 20 ms, 304 p95 ≤ 5 ms.
- Mail: one chase to 120 people (60 alliances, none sent an update) through
  the real poster, mailer and mail outbox to aiosmtpd on loopback with
  STARTTLS and AUTH, from the post to the last mail received; beside the
  floor of aiosmtplib handing the same 120 messages over one connection.
  Target: ≤ 30 s.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

FEED_TARGET_MS, NOT_MODIFIED_TARGET_MS, MAIL_TARGET_S = 20.0, 5.0, 30.0
CHASE_DUE = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)


def _config(alliances: int, *, mail: str = "") -> str:
    from tests.loopback import free_port

    members = "".join(
        f'[[groups.members]]\nuser = "@m{i:03d}:example.org"\nalliance = "ALLIANCE-{i // 2:02d}"\n'
        f'email = "m{i:03d}@uni{i // 2:02d}.example"\n'
        for i in range(alliances * 2)
    )
    return f"""
[web]
listen = "127.0.0.1:{free_port()}"
public_url = "http://127.0.0.1:8080"
{mail}
[storage]
url = "sqlite+aiosqlite:///bot.db"
data_dir = "data"

[[groups]]
id = "allies"
name = "ALLIES"
room = "!allies:example.org"
timezone = "Europe/Brussels"
chairs = ["@m000:example.org"]
call_link = "https://meet.example.org/allies"
email = "allies@lists.example.org"
{members}
[groups.cadence]
start = "2024-01-05 11:00"
every = "6 weeks"
duration = "1h"
until = "2027-12-31"
[groups.announce]
agenda_before = "7d"
reminders = []
chase_updates = "2d"
grace = "2h"
"""


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _timed_gets(http, url: str, count: int, **headers: str) -> list[float]:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        async with http.get(url, headers=headers) as response:
            await response.read()
        times.append((time.perf_counter() - started) * 1000)
    return times


async def bench_feed(workdir: Path, alliances: int, requests: int) -> dict[str, Any]:
    import aiohttp
    from aiohttp import web

    from bot.web.server import WebServer
    from tests.unit.fakes import make_harness

    workdir.mkdir(parents=True, exist_ok=True)
    h = await make_harness(workdir, _config(alliances))
    h.core.web = h.config.web
    h.clock = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    for command in ("!skip 3 April", "!move 15 May to 22 May 14:00", "!meeting add 9 June 11:00"):
        await h.say("@m000:example.org", command)
    async with h.core.storage.transaction() as repo:
        token = await repo.feed_token("allies", h.clock)
    server = WebServer(replace(h.config.web, port=0), h.core)
    await server.start()
    floor_body = b""
    try:
        async with aiohttp.ClientSession() as http:
            url = f"http://127.0.0.1:{server.port}/calendar/{token}/allies.ics"
            async with http.get(url) as first:
                floor_body, etag = await first.read(), first.headers["ETag"]
            full = await _timed_gets(http, url, requests)
            cold = []
            for _ in range(max(requests // 4, 5)):  # built afresh, as after a chair's change
                server._feeds.clear()
                cold += await _timed_gets(http, url, 1)
            cached = await _timed_gets(http, url, requests, **{"If-None-Match": etag})
            floor_app = web.Application()
            floor_app.router.add_get("/f", lambda _r: web.Response(body=floor_body))
            runner = web.AppRunner(floor_app, access_log=None)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            floor_url = f"http://127.0.0.1:{runner.addresses[0][1]}/f"
            floor = await _timed_gets(http, floor_url, requests)
            await runner.cleanup()
    finally:
        await server.stop()
        await h.core.storage.close()
    p95 = _percentile(full, 0.95)
    p95_cold = _percentile(cold, 0.95)
    p95_304 = _percentile(cached, 0.95)
    floor_p95 = _percentile(floor, 0.95)
    return {
        "events": floor_body.count(b"BEGIN:VEVENT"),
        "bytes": len(floor_body),
        "requests": requests,
        "p50_ms": _percentile(full, 0.5),
        "p95_ms": p95,
        "p95_cold_ms": p95_cold,
        "p50_304_ms": _percentile(cached, 0.5),
        "p95_304_ms": p95_304,
        "floor_p95_ms": floor_p95,
        "ratio": p95 / floor_p95 if floor_p95 else None,
        "met": max(p95, p95_cold) <= FEED_TARGET_MS and p95_304 <= NOT_MODIFIED_TARGET_MS,
    }


async def bench_chase_mail(workdir: Path, alliances: int) -> dict[str, Any]:
    import os

    from bot.cli.reach import start_reach
    from bot.runtime.poster import Poster
    from bot.runtime.supervisor import Supervisor
    from tests.mail_servers import SmtpSink, self_signed
    from tests.unit.fakes import make_harness

    workdir.mkdir(parents=True, exist_ok=True)
    cert, key = self_signed(workdir)
    smtp = SmtpSink(cert, key)
    smtp.start()
    os.environ["ALLIES_BOT_SMTP_PASSWORD"] = smtp.password
    h = await make_harness(workdir, _config(alliances, mail=smtp.toml(cert)))
    meeting = h.config.groups[0].schedule.cadence and await _next_meeting(h, CHASE_DUE)
    h.clock = meeting.start - timedelta(days=2)  # the chase is due
    tasks = Supervisor()
    reach = await start_reach(h.config, h.core, tasks)
    people = alliances * 2
    try:
        started = time.perf_counter()
        await Poster(h.core).run_due("allies")
        await smtp.wait_for(people + 1, timeout=120)  # the agenda to the list, too
        bot_s = time.perf_counter() - started
        raws = [(r.recipients[0], r.raw) for r in smtp.received]
        floor_s = await _floor_send(smtp, cert, raws)
    finally:
        tasks.wind_down()
        await tasks.stop()
        await reach.stop()
        await h.core.storage.close()
        smtp.stop()
    return {
        "mails": people,
        "s": bot_s,
        "floor_s": floor_s,
        "ratio": bot_s / floor_s if floor_s else None,
        "target_s": MAIL_TARGET_S,
        "met": bot_s <= MAIL_TARGET_S,
    }


async def _next_meeting(h, after: datetime):
    from bot.runtime.calendars import load_calendar

    async with h.core.storage.transaction() as repo:
        calendar = await load_calendar(repo, h.config.groups[0])
    return calendar.next(after + timedelta(days=3))


async def _floor_send(smtp, cert: Path, raws: list[tuple[str, bytes]]) -> float:
    """The same messages, prebuilt, over one connection: what SMTP itself costs."""
    import ssl

    import aiosmtplib

    client = aiosmtplib.SMTP(
        hostname="127.0.0.1",
        port=smtp.port,
        username=smtp.user,
        password=smtp.password,
        start_tls=True,
        tls_context=ssl.create_default_context(cafile=str(cert)),
    )
    started = time.perf_counter()
    await client.connect()
    for recipient, raw in raws:
        await client.sendmail("allies-bot@example.org", [recipient], raw)
    await client.quit()
    return time.perf_counter() - started


async def bench_reach(workdir: Path, alliances: int, requests: int) -> dict[str, Any]:
    return {
        "feed": await bench_feed(workdir / "feed", alliances, requests),
        "mail": await bench_chase_mail(workdir / "mail", alliances),
    }


def reach_rows(r: dict[str, Any]) -> list[str]:
    """The table rows for bench/RESULTS.md."""
    feed, mail = r["feed"], r["mail"]
    return [
        f"| calendar feed: {feed['events']} events, {feed['bytes'] / 1000:.0f} kB, "
        f"{feed['requests']} GETs | p50 {feed['p50_ms']:.1f} ms, p95 {feed['p95_ms']:.1f} ms, "
        f"built afresh p95 {feed['p95_cold_ms']:.1f} ms "
        f"(floor, the same body from memory: p95 {feed['floor_p95_ms']:.1f} ms); 304 p50 "
        f"{feed['p50_304_ms']:.1f} ms, p95 {feed['p95_304_ms']:.1f} ms (targets ≤ "
        f"{FEED_TARGET_MS:g} / ≤ {NOT_MODIFIED_TARGET_MS:g} ms: "
        f"{'met' if feed['met'] else 'NOT met'}) |",
        f"| chase by mail to {mail['mails']} people (STARTTLS, AUTH) | {mail['s']:.2f} s from "
        f"the post to the last mail received (target ≤ {mail['target_s']:g} s: "
        f"{'met' if mail['met'] else 'NOT met'}; floor, the same mails prebuilt over one "
        f"connection: {mail['floor_s']:.2f} s, {mail['ratio']:.1f}x) |",
    ]


if __name__ == "__main__":  # a quick look: python -m bench.reach_bench
    import json
    import sys
    import tempfile

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(asyncio.run(bench_reach(Path(tmp), 60, 200)), indent=2))
