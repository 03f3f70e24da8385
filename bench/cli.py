"""`python -m bench`: run the benchmark, print the tables, write the results.

The JSON goes to bench/results/; a full run (not `--smoke`, not `--profile`)
also writes its tables, with the date and the commit, into the marked
"Latest run" section of bench/RESULTS.md, above the documented runs.

Not a timed test: the exit status only says whether the run completed
(0), could not start Synapse (3) or failed (1). Targets are reported, not
asserted; the smoke test asserts correctness (nothing lost or duplicated).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # `tests.*` and `bot.*` import from the repo root
    sys.path.insert(0, str(REPO))

from bench.e2e import Bench, Plan, RunResult  # noqa: E402
from bench.micro import MicroSizes, run_micro  # noqa: E402

DEFAULT_OUTPUT = REPO / "bench" / "results" / "latest.json"
RESULTS_MD = REPO / "bench" / "RESULTS.md"
SMOKE_OUTPUT = REPO / "bench" / "results" / "smoke.json"
EXIT_NO_SYNAPSE = 3
# (key, target, comparison) from issue 6; latency targets are checked over
# all measured commands and, separately, for the steady phase and the bursts.
TARGETS: list[tuple[str, float, str]] = [
    ("p50_ratio", 1.15, "<="),
    ("p99_ratio", 1.3, "<="),
    ("p50_ratio_steady", 1.15, "<="),
    ("p99_ratio_steady", 1.3, "<="),
    ("p50_ratio_burst", 1.15, "<="),
    ("p99_ratio_burst", 1.3, "<="),
    ("drain_ratio", 1.2, "<="),
    ("rss_mb", 120.0, "<="),
    ("lost_bot", 0, "=="),
    ("duplicates_bot", 0, "=="),
]
# Against the floor without nio (issue 14): the bot's own cost.
BARE_TARGETS: list[tuple[str, float, str]] = [
    ("p50_ratio_steady", 1.10, "<="),
    ("p99_ratio_steady", 1.25, "<="),
    ("p99_ratio_burst", 1.2, "<="),
    ("drain_ratio", 1.15, "<="),
    ("cpu_ms_per_command", 5.0, "<="),
    ("rss_mb", 75.0, "<="),
    ("seen_to_sent_ratio", 1.15, "<="),  # issue 23: command seen -> reply sent, p50
    ("restart_reply_s", 1.0, "<="),
    ("disk_kb_per_command", 15.0, "<="),
    ("lost_bot", 0, "=="),
    ("duplicates_bot", 0, "=="),
]
# The bot serving 60 groups in 60 rooms, the load in one: against the bot in one room.
MANY_TARGETS: list[tuple[str, float, str]] = [
    ("p99_ratio", 1.1, "<="),
    ("rss_ratio", 1.2, "<="),
    ("lost_bot", 0, "=="),
    ("duplicates_bot", 0, "=="),
]
SUBJECTS = ("bot", "floor", "bare", "bot60")
SMOKE_PLAN = Plan(
    members=5,
    commands=40,
    burst_size=10,
    rate=20.0,
    warmup=2,
    pause=0.3,
    reply_timeout=20.0,
    groups=4,
)

_T0 = time.monotonic()


def progress(message: str) -> None:
    print(f"[{time.monotonic() - _T0:6.1f}s] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 1)


def summarise(run: RunResult) -> dict[str, Any]:
    measured = [c for c in run.commands if c.phase != "warmup"]

    def latencies(phase: str | None) -> list[float]:
        chosen = [c for c in measured if phase is None or c.phase == phase]
        return [run.latency[str(c.index)] for c in chosen if str(c.index) in run.latency]

    def spread(phase: str | None) -> dict[str, float | None]:
        values = latencies(phase)
        return {
            "n": len(values),
            "p50_ms": _ms(percentile(values, 50)),
            "p95_ms": _ms(percentile(values, 95)),
            "p99_ms": _ms(percentile(values, 99)),
            "max_ms": _ms(max(values) if values else None),
        }

    answered = len(latencies(None))
    return {
        "user_id": run.user_id,
        "startup_s": round(run.startup_s, 3),
        "rss_peak_mb": round(run.rss_peak_mb, 1),
        "rss_end_mb": round(run.rss_end_mb, 1),
        "cpu_s": round(run.cpu_s, 2),
        "cpu_ms_per_command": round(run.cpu_s / max(1, len(run.commands)) * 1000, 2),
        "disk_kb_per_command": None
        if run.disk_bytes is None
        else round(run.disk_bytes / 1024 / max(1, len(run.commands)), 1),
        "restart_reply_s": None if run.restart_reply_s is None else round(run.restart_reply_s, 3),
        "seen_to_sent_p50_ms": _ms(percentile(run.seen_to_sent, 50)),
        "synapse_cpu_s": round(run.synapse_cpu_s, 2),
        "wall_s": round(run.wall_s, 1),
        "commands": len(measured),
        "warmup": len(run.commands) - len(measured),
        "answered": answered,
        "latency": spread(None),
        "latency_steady": spread("steady"),
        "latency_burst": spread("burst"),
        "drain_s": {
            "mean": round(sum(run.drains) / len(run.drains), 3) if run.drains else None,
            "max": round(max(run.drains), 3) if run.drains else None,
            "per_burst": [round(d, 3) for d in run.drains],
        },
        "lost": run.lost,
        "duplicates": run.duplicates,
        "send_errors": run.send_errors,
        "observer_gaps": run.observer_gaps,
        "exit_code": run.exit_code,
    }


def _ratio(bot: float | None, floor: float | None) -> float | None:
    if bot is None or floor is None or floor <= 0:
        return None
    return round(bot / floor, 3)


def build_results(
    mode: str,
    plan: Plan,
    runs: dict[str, RunResult],
    micro: dict[str, Any] | None,
    order: list[str],
) -> dict[str, Any]:
    bot = summarise(runs["bot"]) if "bot" in runs else None
    floor = summarise(runs["floor"]) if "floor" in runs else None
    bare = summarise(runs["bare"]) if "bare" in runs else None
    many = summarise(runs["bot60"]) if "bot60" in runs else None
    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": mode,
        "plan": {**asdict(plan), "steady": plan.steady, "burst_sizes": plan.burst_sizes},
        "order": order,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "synapse": _synapse_version(),
        },
        "code": _code_version(),
    }
    if bot and bare:
        results["vs_bare"] = _versus(bot, bare)
        results["targets_bare"] = _targets(
            {
                **results["vs_bare"],
                "cpu_ms_per_command": bot["cpu_ms_per_command"],
                "rss_mb": bot["rss_peak_mb"],
                "restart_reply_s": bot["restart_reply_s"],
                "disk_kb_per_command": bot["disk_kb_per_command"],
                "lost_bot": bot["lost"],
                "duplicates_bot": bot["duplicates"],
            },
            BARE_TARGETS,
        )
    if bot and many:
        results["vs_one_room"] = _versus(many, bot)
        results["targets_many"] = _targets(
            {
                **results["vs_one_room"],
                "lost_bot": many["lost"],
                "duplicates_bot": many["duplicates"],
            },
            MANY_TARGETS,
        )
    if bot and floor:
        results.update(
            p50_ratio=_ratio(bot["latency"]["p50_ms"], floor["latency"]["p50_ms"]),
            p95_ratio=_ratio(bot["latency"]["p95_ms"], floor["latency"]["p95_ms"]),
            p99_ratio=_ratio(bot["latency"]["p99_ms"], floor["latency"]["p99_ms"]),
            **{
                f"p{q}_ratio_{phase}": _ratio(
                    bot[f"latency_{phase}"][f"p{q}_ms"], floor[f"latency_{phase}"][f"p{q}_ms"]
                )
                for phase in ("steady", "burst")
                for q in (50, 95, 99)
            },
            drain_ratio=_ratio(bot["drain_s"]["mean"], floor["drain_s"]["mean"]),
            startup_ratio=_ratio(bot["startup_s"], floor["startup_s"]),
            rss_ratio=_ratio(bot["rss_peak_mb"], floor["rss_peak_mb"]),
            cpu_ratio=_ratio(bot["cpu_ms_per_command"], floor["cpu_ms_per_command"]),
            rss_mb=bot["rss_peak_mb"],
            startup_s=bot["startup_s"],
            lost={"bot": bot["lost"], "floor": floor["lost"]},
            duplicates={"bot": bot["duplicates"], "floor": floor["duplicates"]},
            send_errors={"bot": bot["send_errors"], "floor": floor["send_errors"]},
        )
        flat = {
            **results,
            "lost_bot": bot["lost"],
            "duplicates_bot": bot["duplicates"],
        }
        results["targets"] = _targets(flat, TARGETS)
    results["bot"], results["floor"], results["bare"], results["bot60"] = bot, floor, bare, many
    results["micro"] = micro
    return results


def _versus(bot: dict[str, Any], floor: dict[str, Any]) -> dict[str, Any]:
    """The bot's figures as ratios to one floor's."""
    ratios = {
        f"p{q}_ratio{suffix}": _ratio(bot[key][f"p{q}_ms"], floor[key][f"p{q}_ms"])
        for key, suffix in (
            ("latency", ""),
            ("latency_steady", "_steady"),
            ("latency_burst", "_burst"),
        )
        for q in (50, 95, 99)
    }
    return {
        **ratios,
        "drain_ratio": _ratio(bot["drain_s"]["mean"], floor["drain_s"]["mean"]),
        "startup_ratio": _ratio(bot["startup_s"], floor["startup_s"]),
        "rss_ratio": _ratio(bot["rss_peak_mb"], floor["rss_peak_mb"]),
        "cpu_ratio": _ratio(bot["cpu_ms_per_command"], floor["cpu_ms_per_command"]),
        "synapse_cpu_ratio": _ratio(bot["synapse_cpu_s"], floor["synapse_cpu_s"]),
        "seen_to_sent_ratio": _ratio(bot["seen_to_sent_p50_ms"], floor["seen_to_sent_p50_ms"]),
    }


def _targets(values: dict[str, Any], targets: list[tuple[str, float, str]]) -> dict[str, Any]:
    return {
        key: {
            "target": target,
            "value": values[key],
            "met": None
            if values[key] is None
            else bool(values[key] <= target if op == "<=" else values[key] == target),
        }
        for key, target, op in targets
    }


def _code_version() -> dict[str, Any]:
    """The commit measured, and whether the bot's code differed from it."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)
        return done.stdout.strip()

    changed = git("status", "--porcelain", "--", "bot", "handlers", "storage", "pyproject.toml")
    return {"commit": git("rev-parse", "--short", "HEAD"), "bot_code_modified": bool(changed)}


def _synapse_version() -> str | None:
    from tests.integration.synapse_server import SynapseServer

    try:
        python = SynapseServer.ensure_synapse_python()
        probe = "import synapse; print(synapse.__version__)"
        out = subprocess.run([python, "-c", probe], capture_output=True, text=True, timeout=30)
        return (out.stdout.split() or [None])[0]  # "1.163.2", without git details
    except Exception:
        return None


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def table(results: dict[str, Any]) -> str:
    """The comparison table as Markdown (also readable in a terminal)."""
    bot, floor = results.get("bot"), results.get("floor")
    lines = []
    if bot and floor:
        targets = results["targets"]

        def met(key: str) -> str:
            return {True: "yes", False: "**no**", None: "-"}[targets[key]["met"]]

        def latency(label: str, key: str, q: int, target: str) -> tuple:
            b, f = bot[key][f"p{q}_ms"], floor[key][f"p{q}_ms"]
            suffix = key.removeprefix("latency")
            ratio_key = f"p{q}_ratio{suffix}"
            ok = met(ratio_key) if ratio_key in targets else "-"
            return (f"{label} p{q} (ms)", b, f, results[ratio_key], target, ok)

        rows = [
            latency("latency, all commands,", "latency", 50, "≤ 1.15 x floor"),
            latency("latency, all commands,", "latency", 95, "-"),
            latency("latency, all commands,", "latency", 99, "≤ 1.3 x floor"),
            latency("latency, steady phase,", "latency_steady", 50, "≤ 1.15 x floor"),
            latency("latency, steady phase,", "latency_steady", 99, "≤ 1.3 x floor"),
            latency("latency, bursts,", "latency_burst", 50, "≤ 1.15 x floor"),
            latency("latency, bursts,", "latency_burst", 99, "≤ 1.3 x floor"),
            ("burst drain, mean (s)", bot["drain_s"]["mean"], floor["drain_s"]["mean"],
             results["drain_ratio"], "≤ 1.2 x floor", met("drain_ratio")),
            ("peak RSS, VmHWM (MB)", bot["rss_peak_mb"], floor["rss_peak_mb"],
             results["rss_ratio"], "≤ 120 MB (bot)", met("rss_mb")),
            ("start-up to first sync (s)", bot["startup_s"], floor["startup_s"],
             results["startup_ratio"], "-", "-"),
            ("lost commands", bot["lost"], floor["lost"], None, "0", met("lost_bot")),
            ("duplicate answers", bot["duplicates"], floor["duplicates"], None, "0",
             met("duplicates_bot")),
            ("CPU per command (ms)", bot["cpu_ms_per_command"], floor["cpu_ms_per_command"],
             results["cpu_ratio"], "-", "-"),
            ("Synapse CPU during the run (s)", bot["synapse_cpu_s"], floor["synapse_cpu_s"],
             _ratio(bot["synapse_cpu_s"], floor["synapse_cpu_s"]), "-", "-"),
        ]  # fmt: skip
        lines += [
            "| metric | bot | floor | ratio | target | met? |",
            "|---|---:|---:|---:|---|---|",
        ]
        for name, b, f, r, target, ok in rows:
            lines.append(f"| {name} | {_fmt(b)} | {_fmt(f)} | {_fmt(r, 2)} | {target} | {ok} |")
        lines.append(
            f"\n{bot['commands']} commands per run ({bot['warmup']} warm-up not counted); "
            f"bursts drained (s), bot {bot['drain_s']['per_burst']}, "
            f"floor {floor['drain_s']['per_burst']}"
        )
    if bot and results.get("bare"):
        lines += ["", *bare_table(results)]
    if bot and results.get("bot60"):
        lines += ["", *many_table(results)]
    micro = results.get("micro")
    if micro:
        s, m, h, u = (
            micro["schedule"],
            micro["minutes"],
            micro["minutes_handler"],
            micro["update_throughput"],
        )
        lines += [
            "",
            "| micro-benchmark | result |",
            "|---|---|",
            f"| schedule: {s['groups']} groups x {s['years']} years ({s['meetings']:,} meetings, "
            f"{s['overrides']:,} overrides) | {s['cold_s'] * 1000:.0f} ms cold, "
            f"{s['warm_s'] * 1000:.0f} ms warm; `next()` {s['next_us']:.0f} µs |",
            f"| minutes, pure: {m['updates']} updates, {m['actions']} actions, "
            f"{m['notes']} notes ({m['chars']:,} chars, {m['messages']} messages) "
            f"| {m['ms']:.0f} ms |",
            f"| `!minutes` handler on SQLite, same meeting | {h['ms']:.0f} ms "
            f"(first {h['first_ms']:.0f} ms) |",
            f"| `!update` with {u['stored']:,} stored updates ({u['commands']} commands) "
            f"| {u['ms_per_command']:.1f} ms/command ({u['per_s']:.0f}/s); empty DB "
            f"{u['baseline_ms_per_command']:.1f} ms ({u['slowdown']:.2f}x) |",
        ]
        if r := micro.get("report"):
            lines.append(
                f"| report: {r['years']} years, {r['meetings']} meetings, {r['alliances']} "
                f"alliances, {r['rows']:,} rows | {r['s'] * 1000:.0f} ms (target "
                f"≤ {r['target_s']:g} s: {'met' if r['met'] else 'NOT met'}; floor, the rows "
                f"read with sqlite3: {r['floor_s'] * 1000:.0f} ms, {_fmt(r['ratio'], 1)}x); "
                f"charts {r['charts_s'] * 1000:.0f} ms; whole `!report` "
                f"{r['handler_s'] * 1000:.0f} ms |"
            )
        if reach := micro.get("reach"):
            from bench.reach_bench import reach_rows

            lines += reach_rows(reach)
        if archive := micro.get("archive"):
            from bench.archive_bench import archive_rows

            lines += archive_rows(archive)
    return "\n".join(lines)


def bare_table(results: dict[str, Any]) -> list[str]:
    """The bot against the floor without nio, with issue 14's targets."""
    bot, bare = results["bot"], results["bare"]
    versus, targets = results["vs_bare"], results["targets_bare"]

    def met(key: str) -> str:
        return {True: "yes", False: "**no**", None: "-"}[targets[key]["met"]]

    def row(label, b, f, ratio, key: str | None, target: str) -> str:
        ok = met(key) if key else "-"
        return f"| {label} | {_fmt(b)} | {_fmt(f)} | {_fmt(ratio, 2)} | {target} | {ok} |"

    steady, burst = bot["latency_steady"], bot["latency_burst"]
    bsteady, bburst = bare["latency_steady"], bare["latency_burst"]
    return [
        "| against the floor without nio | bot | bare floor | ratio | target | met? |",
        "|---|---:|---:|---:|---|---|",
        row("steady p50 (ms)", steady["p50_ms"], bsteady["p50_ms"],
            versus["p50_ratio_steady"], "p50_ratio_steady", "≤ 1.10 x"),
        row("steady p99 (ms)", steady["p99_ms"], bsteady["p99_ms"],
            versus["p99_ratio_steady"], "p99_ratio_steady", "≤ 1.25 x"),
        row("burst p99 (ms)", burst["p99_ms"], bburst["p99_ms"],
            versus["p99_ratio_burst"], "p99_ratio_burst", "≤ 1.2 x"),
        row("burst drain, mean (s)", bot["drain_s"]["mean"], bare["drain_s"]["mean"],
            versus["drain_ratio"], "drain_ratio", "≤ 1.15 x"),
        row("CPU per command (ms)", bot["cpu_ms_per_command"], bare["cpu_ms_per_command"],
            versus["cpu_ratio"], "cpu_ms_per_command", "≤ 5 ms (bot)"),
        row("peak RSS (MB)", bot["rss_peak_mb"], bare["rss_peak_mb"],
            versus["rss_ratio"], "rss_mb", "≤ 75 MB (bot)"),
        row("command seen → reply sent, p50 (ms)", bot["seen_to_sent_p50_ms"],
            bare["seen_to_sent_p50_ms"], versus["seen_to_sent_ratio"], "seen_to_sent_ratio",
            "≤ 1.15 x"),
        row("start-up to first sync (s)", bot["startup_s"], bare["startup_s"],
            versus["startup_ratio"], None, "-"),
        row("restart → first reply (s)", _fmt(bot["restart_reply_s"], 2), None, None,
            "restart_reply_s", "≤ 1.0 s (bot)"),
        row("disk written per command (kB)", bot["disk_kb_per_command"],
            bare["disk_kb_per_command"], None, "disk_kb_per_command", "≤ 15 kB (bot)"),
        row("Synapse CPU during the run (s)", bot["synapse_cpu_s"], bare["synapse_cpu_s"],
            versus["synapse_cpu_ratio"], None, "-"),
        row("lost / duplicates", f"{bot['lost']} / {bot['duplicates']}",
            f"{bare['lost']} / {bare['duplicates']}", None, "lost_bot", "0 / 0"),
    ]  # fmt: skip


def many_table(results: dict[str, Any]) -> list[str]:
    """The bot with 60 groups in 60 rooms against the bot with one."""
    one, many = results["bot"], results["bot60"]
    versus, targets = results["vs_one_room"], results["targets_many"]
    met = {True: "yes", False: "**no**", None: "-"}
    groups = results["plan"]["groups"]
    return [
        f"| {groups} groups in {groups} rooms | {groups} rooms | 1 room | ratio | target | met? |",
        "|---|---:|---:|---:|---|---|",
        f"| latency p99, all commands (ms) | {_fmt(many['latency']['p99_ms'])} | "
        f"{_fmt(one['latency']['p99_ms'])} | {_fmt(versus['p99_ratio'], 2)} | ≤ 1.1 x | "
        f"{met[targets['p99_ratio']['met']]} |",
        f"| peak RSS (MB) | {_fmt(many['rss_peak_mb'])} | {_fmt(one['rss_peak_mb'])} | "
        f"{_fmt(versus['rss_ratio'], 2)} | ≤ 1.2 x | {met[targets['rss_ratio']['met']]} |",
        f"| start-up to first sync (s) | {_fmt(many['startup_s'])} | {_fmt(one['startup_s'])} "
        f"| {_fmt(versus['startup_ratio'], 2)} | - | - |",
        f"| CPU per command (ms) | {_fmt(many['cpu_ms_per_command'])} | "
        f"{_fmt(one['cpu_ms_per_command'])} | {_fmt(versus['cpu_ratio'], 2)} | - | - |",
        f"| lost / duplicates | {many['lost']} / {many['duplicates']} | {one['lost']} / "
        f"{one['duplicates']} | - | 0 / 0 | {met[targets['lost_bot']['met']]} |",
    ]


def update_results_md(path: Path, name: str, body: str) -> None:
    """Put `body` between the `<!-- bench:NAME:start -->` and `:end -->`
    markers of `path`, leaving the rest (the documented runs) as it is.
    Without the markers the section is added at the end."""
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    block = f"{start}\n{body.strip()}\n{end}"
    head, found, rest = text.partition(start)
    if found and end in rest:
        text = head + block + rest.split(end, 1)[1]
    else:
        text = (text.rstrip("\n") + "\n\n" if text.strip() else "") + block + "\n"
    path.write_text(text, encoding="utf-8")


def results_md_section(results: dict[str, Any]) -> str:
    """The run's tables for bench/RESULTS.md, headed by when, what and where."""
    code, machine, plan = results["code"], results["machine"], results["plan"]
    commit = code["commit"] + (" (the bot's code modified)" if code["bot_code_modified"] else "")
    return (
        f"### Matrix: `python -m bench`, {results['date'][:10]}, commit {commit}\n\n"
        f"Synapse {machine['synapse'] or 'unknown'}, Python {machine['python']}, "
        f"{machine['cpus']} CPUs; {plan['members']} members, subjects "
        f"{', '.join(results['order'])}.\n\n{table(results)}\n"
    )


def _parser() -> argparse.ArgumentParser:
    defaults = Plan()
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes for CI (no timings)")
    parser.add_argument("--members", type=int, help=f"room members (default {defaults.members})")
    parser.add_argument("--commands", type=int, help=f"measured commands ({defaults.commands})")
    parser.add_argument("--rate", type=float, help=f"steady commands/s ({defaults.rate:g})")
    parser.add_argument("--burst-size", type=int, help=f"({defaults.burst_size})")
    parser.add_argument("--burst-share", type=float, help=f"({defaults.burst_share})")
    parser.add_argument("--observers", type=int, help="reading clients that sync, per room (1)")
    parser.add_argument("--reply-timeout", type=float, help="s before a command is lost (30)")
    parser.add_argument(
        "--order",
        default="floor,bare,bot,bot60",
        help="subjects in the order of the first round of blocks: bot and any of "
        "floor (matrix-nio), bare (no nio), bot60 (the bot with 60 groups in 60 rooms)",
    )
    parser.add_argument("--skip-e2e", action="store_true", help="micro-benchmarks only")
    parser.add_argument("--skip-micro", action="store_true", help="Synapse runs only")
    parser.add_argument("--output", type=Path, help="results file (default bench/results/)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder and logs")
    parser.add_argument("--profile", type=Path, help="py-spy profiles of bot and floor to DIR")
    parser.add_argument(
        "--results-md",
        type=Path,
        default=RESULTS_MD,
        help="where a full run writes its tables (bench/RESULTS.md)",
    )
    parser.add_argument("--no-results-md", action="store_true", help="leave RESULTS.md alone")
    return parser


def _plan(args: argparse.Namespace) -> Plan:
    plan = SMOKE_PLAN if args.smoke else Plan()
    changes = {
        "members": args.members,
        "commands": args.commands,
        "rate": args.rate,
        "burst_size": args.burst_size,
        "burst_share": args.burst_share,
        "observers": args.observers,
        "reply_timeout": args.reply_timeout,
    }
    values = {**asdict(plan), **{k: v for k, v in changes.items() if v is not None}}
    return Plan(**values)


async def _e2e(
    plan: Plan, order: list[str], workdir: Path, profile: Path | None
) -> dict[str, RunResult]:
    async with Bench(plan, workdir, progress, profile) as bench:
        runs = await bench.run(order)
    for name, run in runs.items():
        progress(
            f"{name}: {len(run.latency)} answered, lost {run.lost}, "
            f"duplicates {run.duplicates}, peak RSS {run.rss_peak_mb:.1f} MB"
        )
    return runs


def main(argv: list[str] | None = None) -> int:
    from tests.integration.synapse_server import SynapseUnavailable

    args = _parser().parse_args(argv)
    plan = _plan(args)
    order = [name.strip() for name in args.order.split(",") if name.strip()]
    if "bot" not in order or len(set(order)) != len(order) or not set(order) <= set(SUBJECTS):
        raise SystemExit("--order must name bot and any of floor, bare, bot60")
    output = args.output or (SMOKE_OUTPUT if args.smoke else DEFAULT_OUTPUT)
    workdir = Path(tempfile.mkdtemp(prefix="allies-bench-"))
    runs: dict[str, RunResult] = {}
    try:
        if not args.skip_e2e:
            progress(
                f"plan: {plan.members} members, {plan.warmup} warm-up + {plan.steady} steady "
                f"at {plan.rate:g}/s + bursts {plan.burst_sizes}; work folder {workdir}"
            )
            runs = asyncio.run(_e2e(plan, order, workdir, args.profile))
        micro = None
        if not args.skip_micro:
            micro = run_micro(MicroSizes.smoke() if args.smoke else MicroSizes(), progress)
    except SynapseUnavailable as exc:
        print(f"Synapse unavailable: {exc}", file=sys.stderr)
        return EXIT_NO_SYNAPSE
    finally:
        if args.keep:
            progress(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    results = build_results("smoke" if args.smoke else "full", plan, runs, micro, order)
    results["profiled"] = args.profile is not None
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(table(results))
    print(f"\nresults: {output}")
    # Smoke runs (CI) and profiled runs (slower) never replace the documented figures.
    if not (args.smoke or args.profile is not None or args.no_results_md):
        update_results_md(args.results_md, "matrix", results_md_section(results))
        print(f"tables: {args.results_md}")
    if args.profile is not None:
        from bench.profile import summarise as profile_summary

        for name in order:
            path = args.profile / f"{name}.txt"
            if path.exists():
                print("\n" + profile_summary(path, top=25))
    return 0
