"""Scale micro-benchmarks, in-process, no homeserver.

- schedule: every meeting of 60 groups over 10 years (varied cadences, time
  zones, yearly breaks, chairs' skips/moves/additions) through the same
  `GroupCalendar` the handlers, the scheduler and the CLI use; plus the cost
  of one `next()` (what every `!update` and `!next` computes).
- minutes: a meeting with 500 updates and 500 action items, compiled by the
  pure `compile_minutes`, split and rendered to HTML as posted; and the same
  meeting through the real `!minutes` handler on SQLite.
- `!update` throughput on the real core + SQLite (tests/unit/fakes.py harness)
  with 10,000 updates already stored, against an empty database.
- the report to WP2 over 3 years (`bench/report_bench.py`).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ZONES = [
    "Europe/Brussels",
    "Europe/Lisbon",
    "Europe/Helsinki",
    "Europe/Warsaw",
    "America/New_York",
    "Asia/Tokyo",
    "Australia/Sydney",
]
STEPS = ["6 weeks", "4 weeks", "2 weeks", "1 month", "3 months"]


@dataclass(frozen=True)
class MicroSizes:
    groups: int = 60
    years: int = 10
    next_calls_per_group: int = 100
    minutes_updates: int = 500
    minutes_actions: int = 500
    minutes_notes: int = 100
    minutes_repeats: int = 5
    stored_updates: int = 10_000
    update_commands: int = 500
    report_years: int = 3
    report_alliances: int = 60
    report_updates: int = 20
    report_actions: int = 10
    report_present: int = 80
    feed_requests: int = 200

    @classmethod
    def smoke(cls) -> MicroSizes:
        return cls(2, 1, 5, 20, 20, 10, 1, 100, 20, 1, 5, 3, 2, 6, 20)


def _schedule_config(sizes: MicroSizes) -> str:
    lines = ["[storage]", 'url = "sqlite+aiosqlite:///unused.db"']
    for index in range(sizes.groups):
        start = datetime(2026, 1, 5, 9 + index % 8) + timedelta(days=index * 3)
        until = start.date() + timedelta(days=365 * sizes.years)
        breaks = ", ".join(
            f'{{ from = "{year}-07-15", to = "{year}-08-31" }}, '
            f'{{ from = "{year}-12-20", to = "{year + 1}-01-06" }}'
            for year in range(2026, 2026 + sizes.years)
        )
        lines += [
            "[[groups]]",
            f'id = "g{index:02d}"',
            f'room = "!g{index:02d}:example.org"',
            f'timezone = "{ZONES[index % len(ZONES)]}"',
            "[groups.cadence]",
            f'start = "{start:%Y-%m-%d %H:%M}"',
            f'every = "{STEPS[index % len(STEPS)]}"',
            'duration = "1h30m"',
            f'until = "{until:%Y-%m-%d}"',
            f"breaks = [{breaks}]",
        ]
    return "\n".join(lines) + "\n"


def bench_schedule(sizes: MicroSizes, workdir: Path) -> dict[str, Any]:
    from bot.calendar import cadence as cadence_module
    from bot.calendar.cadence import Override
    from bot.config import load_config
    from bot.meeting.group_calendar import GroupCalendar

    path = workdir / "schedule.toml"
    path.write_text(_schedule_config(sizes))
    config = load_config(path, require_matrix=False)
    begin = datetime(2026, 1, 1, tzinfo=UTC)
    end = begin + timedelta(days=365 * sizes.years + 30)
    calendars = []
    for group in config.groups:  # chairs' changes: every 7th skipped, every 11th moved, 2 extra
        plain = GroupCalendar(group).between(begin, end)
        overrides = []
        for number, meeting in enumerate(plain):
            local = meeting.original_local
            if number % 7 == 3:
                overrides.append(Override("skip", original=local, reason="holiday"))
            elif number % 11 == 5:
                overrides.append(Override("move", local, local + timedelta(days=1), "room"))
        for extra in (40, 400):
            overrides.append(Override("add", new=datetime(2026, 1, 1, 14) + timedelta(days=extra)))
        calendars.append(GroupCalendar(group, tuple(overrides)))

    def expand() -> int:
        return sum(len(calendar.between(begin, end)) for calendar in calendars)

    cache = getattr(cadence_module, "_base", None)
    if cache is not None and hasattr(cache, "cache_clear"):
        cache.cache_clear()
    started = time.perf_counter()
    total = expand()
    cold = time.perf_counter() - started
    started = time.perf_counter()
    expand()
    warm = time.perf_counter() - started
    span = (end - begin) / sizes.next_calls_per_group
    nows = [begin + span * k for k in range(sizes.next_calls_per_group)]
    started = time.perf_counter()
    for calendar in calendars:
        for now in nows:
            calendar.next(now)
    calls = len(calendars) * len(nows)
    per_next = (time.perf_counter() - started) / calls
    return {
        "groups": sizes.groups,
        "years": sizes.years,
        "meetings": total,
        "overrides": sum(len(c.overrides) for c in calendars),
        "cold_s": cold,
        "warm_s": warm,
        "next_calls": calls,
        "next_us": per_next * 1e6,
    }


def _minutes_data(sizes: MicroSizes):
    from bot.calendar.cadence import Meeting
    from bot.meeting.minutes import ActionView, MinutesData, Note, Person, UpdateView

    brussels = __import__("zoneinfo").ZoneInfo("Europe/Brussels")
    start = datetime(2026, 4, 3, 11, tzinfo=brussels)
    meeting = Meeting("2026-04-03T11:00", start, start + timedelta(hours=2))
    after = Meeting("2026-05-15T11:00", start + timedelta(days=42), start + timedelta(days=42))
    people = [Person(f"@m{i:03d}:example.org", f"ALLIANCE-{i // 2:02d}") for i in range(120)]
    notes = []
    for i in range(sizes.minutes_notes):
        kind = "topic" if i % 10 == 0 else "decision" if i % 5 == 4 else "info"
        notes.append(Note(kind, f"Note {i}: the group agreed on *pilot* <b>#{i}</b>", "@m000"))
    actions = [
        ActionView(
            i + 1,
            f"Draft section {i} of the ULLL report & share [link](https://x.example)",
            (people[i % 120].user, people[(i + 7) % 120].user),
            date(2026, 5, 1) + timedelta(days=i % 60),
            "open",
            meeting.key if i % 2 else "2026-02-20T11:00",
            overdue=i % 9 == 0,
        )
        for i in range(sizes.minutes_actions)
    ]
    return MinutesData(
        group_name="ALLIES",
        meeting=meeting,
        chairs=("@m000:example.org",),
        present=tuple(people),
        apologies=tuple((p, "travelling") for p in people[:10]),
        agenda=("Welcome", "Member updates", "Sub-group reports", "Any other business"),
        updates=tuple(
            UpdateView(
                people[i % 120].alliance or "",
                people[i % 120].user,
                f"Update {i}: we mapped {i % 40} ULLL offers.\nSecond line with @room and <i>x</i>",
            )
            for i in range(sizes.minutes_updates)
        ),
        notes=tuple(notes),
        new_actions=tuple(a for a in actions if a.created_in == meeting.key),
        carried_actions=tuple(a for a in actions if a.created_in != meeting.key),
        next_meeting=after,
    )


def bench_minutes_pure(sizes: MicroSizes) -> dict[str, Any]:
    from bot.meeting.minutes import compile_minutes
    from bot.meeting.render import MAX_CHUNK_CHARS, split_for_messages, to_html, to_plain

    data = _minutes_data(sizes)
    times = []
    for _ in range(sizes.minutes_repeats):
        started = time.perf_counter()
        markdown = compile_minutes(data)
        chunks = split_for_messages(markdown, MAX_CHUNK_CHARS)
        for chunk in chunks:
            to_html(chunk)
            to_plain(chunk)
        times.append(time.perf_counter() - started)
    return {
        "updates": len(data.updates),
        "actions": len(data.new_actions) + len(data.carried_actions),
        "notes": len(data.notes),
        "chars": len(markdown),
        "messages": len(chunks),
        "ms": min(times) * 1000,
    }


async def _harness(workdir: Path):
    from tests.unit.fakes import CONFIG_WITH_CADENCE, make_harness

    workdir.mkdir(parents=True, exist_ok=True)
    return await make_harness(workdir, CONFIG_WITH_CADENCE)


async def bench_minutes_handler(sizes: MicroSizes, workdir: Path) -> dict[str, Any]:
    """`!minutes` through the real core on SQLite, for a meeting with the same
    numbers of updates, actions and notes stored."""
    from bot.meeting.group_calendar import GroupCalendar
    from bot.meeting.record import last_started

    harness = await _harness(workdir)
    group = harness.config.groups[0]
    meeting = last_started(GroupCalendar(group), harness.clock)
    assert meeting is not None, "the harness calendar has a meeting before its clock"
    now = harness.clock
    async with harness.core.storage.transaction() as repo:
        for i in range(sizes.minutes_updates):
            await repo.add_update(
                group_id=group.id,
                period=meeting.key,
                sender=f"@m{i % 120:03d}:example.org",
                alliance=f"ALLIANCE-{i % 60:02d}",
                text=f"Update {i}: we mapped {i % 40} ULLL offers.\nSecond line <i>x</i>",
                event_id=f"$mu{i}",
                now=now,
            )
        for i in range(sizes.minutes_actions):
            await repo.add_action(
                group_id=group.id,
                meeting_key=meeting.key if i % 2 else "2025-06-13T11:00",
                text=f"Draft section {i} of the ULLL report",
                owners=(f"@m{i % 120:03d}:example.org",),
                due=date(2026, 3, 1) + timedelta(days=i % 60),
                created_by="@chair:example.org",
                event_id=f"$ma{i}",
                now=now,
            )
        for i in range(sizes.minutes_notes):
            kind = "topic" if i % 10 == 0 else "decision" if i % 5 == 4 else "info"
            await repo.add_note(
                group_id=group.id,
                meeting_key=meeting.key,
                kind=kind,
                text=f"Note {i}",
                author="@chair:example.org",
                event_id=f"$mn{i}",
                now=now,
            )
    times = []
    replies = []
    for _ in range(sizes.minutes_repeats):
        started = time.perf_counter()
        replies = await harness.say("@chair:example.org", "!minutes")
        times.append(time.perf_counter() - started)
    await harness.core.storage.close()
    return {
        "updates": sizes.minutes_updates,
        "actions": sizes.minutes_actions,
        "notes": sizes.minutes_notes,
        "messages": len(replies),
        "first_ms": times[0] * 1000,
        "ms": min(times) * 1000,
        "ok": any("Minutes of" in r.body for r in replies),
    }


async def _filled_harness(workdir: Path, stored: int):
    """A harness whose database already holds `stored` updates (1% of them
    in the current period, the rest spread over ten years of meetings)."""
    from bot.meeting.group_calendar import GroupCalendar

    harness = await _harness(workdir)
    group = harness.config.groups[0]
    current = GroupCalendar(group).period(harness.clock)
    now = harness.clock
    batch = 1000
    for first in range(0, stored, batch):
        async with harness.core.storage.transaction() as repo:
            for i in range(first, min(first + batch, stored)):
                period = current if i % 100 == 0 else f"{2015 + i % 10}-01-{1 + i % 28:02d}T11:00"
                await repo.add_update(
                    group_id=group.id,
                    period=period,
                    sender=f"@m{i % 120:03d}:example.org",
                    alliance=f"ALLIANCE-{i % 60:02d}",
                    text=f"Stored update {i}: we mapped {i % 40} ULLL offers.",
                    event_id=f"$pre{i}",
                    now=now,
                )
    await harness.say("@anna:example.org", "!update warm-up")  # first-use imports, caches
    return harness


async def bench_update_throughput(sizes: MicroSizes, workdir: Path) -> dict[str, Any]:
    """`!update` on a database with `stored_updates` updates against an empty
    one, alternating blocks of 25 commands between the two, so the machine's
    drift (two shared cores) falls on both alike."""
    started = time.perf_counter()
    full = await _filled_harness(workdir / "full", sizes.stored_updates)
    prefill = time.perf_counter() - started
    empty = await _filled_harness(workdir / "empty", 0)
    senders = ["@anna:example.org", "@bo:example.org", "@chair:example.org"]
    elapsed = {"full": 0.0, "empty": 0.0}
    answered = {"full": 0, "empty": 0}
    block = 25
    for first in range(0, sizes.update_commands, block):
        numbers = range(first, min(first + block, sizes.update_commands))
        pairs = (("full", full), ("empty", empty))
        for name, harness in pairs if first // block % 2 == 0 else pairs[::-1]:
            begun = time.perf_counter()
            for i in numbers:
                replies = await harness.say(senders[i % 3], f"!update note {i}: {i % 40} offers")
                answered[name] += any(r.body.startswith("Thanks, your update") for r in replies)
            elapsed[name] += time.perf_counter() - begun
    for harness in (full, empty):
        await harness.core.storage.close()
    commands = sizes.update_commands
    return {
        "stored": sizes.stored_updates,
        "commands": commands,
        "answered": answered["full"],
        "prefill_s": prefill,
        "ms_per_command": elapsed["full"] / commands * 1000,
        "per_s": commands / elapsed["full"],
        "baseline_ms_per_command": elapsed["empty"] / commands * 1000,
        "baseline_answered": answered["empty"],
        "slowdown": elapsed["full"] / elapsed["empty"],
    }


def run_micro(sizes: MicroSizes, progress: Callable[[str], None]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="allies-bench-micro-") as tmp:
        workdir = Path(tmp)
        progress(f"micro: schedule, {sizes.groups} groups x {sizes.years} years")
        schedule = bench_schedule(sizes, workdir)
        progress(
            f"micro: minutes, {sizes.minutes_updates} updates + {sizes.minutes_actions} actions"
        )
        minutes = bench_minutes_pure(sizes)
        minutes_handler = asyncio.run(bench_minutes_handler(sizes, workdir / "minutes"))
        progress(f"micro: !update with {sizes.stored_updates:,} stored updates")
        updates = asyncio.run(bench_update_throughput(sizes, workdir / "updates"))
        progress(f"micro: the report over {sizes.report_years} years")
        from bench.report_bench import bench_report

        report = asyncio.run(bench_report(sizes, workdir / "report"))
        progress(f"micro: calendar feed and chase mail, {sizes.report_alliances} alliances")
        from bench.reach_bench import bench_reach

        reach = asyncio.run(
            bench_reach(workdir / "reach", sizes.report_alliances, sizes.feed_requests)
        )
        progress("micro: the web archive's pages over the report's data")
        from bench.archive_bench import bench_archive

        archive = asyncio.run(bench_archive(sizes, workdir / "archive", sizes.feed_requests // 4))
    return {
        "archive": archive,
        "reach": reach,
        "report": report,
        "schedule": schedule,
        "minutes": minutes,
        "minutes_handler": minutes_handler,
        "update_throughput": updates,
    }
