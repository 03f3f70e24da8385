"""The web archive at scale: the report benchmark's group (60 alliances, 3
years of meetings, updates, notes, actions, outputs), each page type fetched
by a signed-in reader on loopback, beside the floor of a bare aiohttp server
answering the same body from memory. Targets: every page p95 ≤ 50 ms,
search p95 ≤ 30 ms."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

PAGE_TARGET_MS, SEARCH_TARGET_MS = 50.0, 30.0
WORDS = ("catalogue", "budget", "survey", "guideline", "pilot", "charter", "roadmap", "toolkit")


def _p95(values: list[float]) -> float:
    from bench.reach_bench import _percentile

    return _percentile(values, 0.95)


async def _timed(http, url: str, count: int) -> tuple[list[float], bytes]:
    times, body = [], b""
    for _ in range(count):
        started = time.perf_counter()
        async with http.get(url) as response:
            body = await response.read()
            assert response.status == 200, (url, response.status)
        times.append((time.perf_counter() - started) * 1000)
    return times, body


def _middle_meeting(h) -> datetime:
    from bot.meeting.group_calendar import GroupCalendar

    meetings = GroupCalendar(h.config.groups[0]).between(datetime(2024, 1, 1, tzinfo=UTC), h.clock)
    return meetings[len(meetings) // 2].start


async def _edit_a_decision(h, year: int, n: int) -> None:
    """A real change to that year's record (as an edited `!agreed` is): the
    report's decisions section is different, the rest the same."""
    from sqlalchemy import text

    async with h.core.storage.transaction() as repo:
        await repo.session.execute(
            text(
                "UPDATE meeting_notes SET text = 'Adopt the charter, version ' || :n WHERE id = "
                "(SELECT min(id) FROM meeting_notes WHERE kind = 'decision' "
                "AND meeting_key LIKE :year)"
            ),
            {"n": n, "year": f"{year}-%"},
        )
    h.core.record_changed()


async def bench_archive(sizes, workdir: Path, requests: int = 50) -> dict[str, Any]:
    import aiohttp
    from aiohttp import web
    from sqlalchemy import text

    from bench.report_bench import _config, _fill
    from bot.cli.app import settle_heap
    from bot.runtime.mail_tokens import token_hash
    from bot.web.server import WebServer
    from tests.unit.fakes import make_harness

    workdir.mkdir(parents=True, exist_ok=True)
    config = _config(sizes).replace(
        "[storage]",
        '[web]\nlisten = "127.0.0.1:8080"\npublic_url = "http://127.0.0.1:8080"\n[storage]',
    )
    h = await make_harness(workdir, config)
    await _fill(h, sizes)
    h.clock = datetime(2024 + sizes.report_years, 1, 2, 9, 0, tzinfo=UTC)
    words = " || ".join(f"WHEN id % {len(WORDS)} = {i} THEN '{w}'" for i, w in enumerate(WORDS))
    async with h.core.storage.transaction() as repo:
        await repo.session.execute(
            text(
                "UPDATE meeting_notes SET text = 'Adopt the ' || "
                f"CASE {words.replace(' || ', ' ')} END || ' ' || id WHERE kind = 'decision'"
            )
        )
        await repo.add_web_session(token_hash("bench"), "@m000:example.org", "c", h.clock,
                                   datetime(2099, 1, 1, tzinfo=UTC))  # fmt: skip
    h.core.web = h.config.web
    server = WebServer(replace(h.config.web, port=0), h.core)
    await server.start()
    settle_heap()  # as `allies-bot run` does once started
    base = f"http://127.0.0.1:{server.port}"
    paths = {
        "home": "/g/allies",
        "meetings": "/g/allies/meetings",
        "meeting": f"/g/allies/meetings/{_middle_meeting(h):%Y-%m-%d}",
        "decisions": "/g/allies/decisions",
        "search": "/g/allies/decisions?q=catalogue",
        "actions": "/g/allies/actions",
        "outputs": "/g/allies/outputs",
        "report": f"/g/allies/reports/{2024 + sizes.report_years - 1}",
    }
    figures: dict[str, Any] = {}
    try:
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(
            cookie_jar=jar, cookies={"allies_session": "bench"}
        ) as http:
            bodies = {}
            for name, path in paths.items():
                await _timed(http, base + path, 3)  # warm
                times, bodies[name] = await _timed(http, base + path, requests)
                figures[name] = {"p95_ms": _p95(times), "kb": len(bodies[name]) / 1000}
            fresh = []
            for n in range(max(requests // 5, 3)):  # rebuilt after a change to the record
                await _edit_a_decision(h, 2024 + sizes.report_years - 1, n)
                fresh += (await _timed(http, base + paths["report"], 1))[0]
            figures["report built afresh"] = {"p95_ms": _p95(fresh), "kb": figures["report"]["kb"]}
            floor_app = web.Application()
            floor_app.router.add_get("/f", lambda _r: web.Response(body=bodies["meetings"]))
            runner = web.AppRunner(floor_app, access_log=None)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            floor, _ = await _timed(http, f"http://127.0.0.1:{runner.addresses[0][1]}/f", requests)
            await runner.cleanup()
    finally:
        await server.stop()
        await h.core.storage.close()
    # the pages as served, and the report page built afresh after a change,
    # each held to the page target and reported with its own verdict
    pages = {k: v for k, v in figures.items() if k not in ("search", "report built afresh")}
    worst = max(v["p95_ms"] for v in pages.values())
    return {
        "pages": figures,
        "floor_p95_ms": _p95(floor),
        "worst_page_p95_ms": worst,
        "met": worst <= PAGE_TARGET_MS and figures["search"]["p95_ms"] <= SEARCH_TARGET_MS,
        "afresh_met": figures["report built afresh"]["p95_ms"] <= PAGE_TARGET_MS,
        "requests": requests,
        "years": sizes.report_years,
        "alliances": sizes.report_alliances,
    }


def archive_rows(r: dict[str, Any]) -> list[str]:
    pages = ", ".join(f"{k} {v['p95_ms']:.1f}" for k, v in r["pages"].items())
    return [
        f"| web archive, {r['years']} years of a {r['alliances']}-alliance group, "
        f"{r['requests']} GETs a page | p95 ms: "
        f"{pages} (floor, a body from memory: {r['floor_p95_ms']:.1f}; targets ≤ "
        f"{PAGE_TARGET_MS:g} a page, ≤ {SEARCH_TARGET_MS:g} search: "
        f"{'met' if r['met'] else 'NOT met'}; the report built afresh ≤ {PAGE_TARGET_MS:g}: "
        f"{'met' if r.get('afresh_met', True) else 'NOT met'}) |"
    ]


if __name__ == "__main__":  # python -m bench.archive_bench
    import asyncio
    import json
    import sys
    import tempfile

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bench.micro import MicroSizes

    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(asyncio.run(bench_archive(MicroSizes(), Path(tmp))), indent=2))
