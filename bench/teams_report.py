"""The Teams benchmark's numbers: each subject's summary, the ratios against
the floor with the targets, and the Markdown table bench/RESULTS.md shows."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bench.cli import _code_version, percentile
from bench.e2e import proc_status

if TYPE_CHECKING:
    from bench.teams import Plan, Side

REPLY_TIMEOUT = 30.0
TARGETS = {"p50_ratio": 1.3, "p99_ratio": 1.3}  # issue 23's "Teams on the same diet"
CPU_TARGET_MS = 5.0


def ms(values: list[float], q: float) -> float | None:
    value = percentile(values, q)
    return None if value is None else round(value * 1000, 1)


def summarise(side: Side) -> dict[str, Any]:
    measured = [c for c in side.commands if c.block >= 0]
    latencies, per_block = [], defaultdict(list)
    lost = doubles = redelivered_doubles = 0
    for command in measured:
        answers = side.answers(command)
        if not command.error and (not answers or answers[0] - command.sent_at > REPLY_TIMEOUT):
            lost += 1
        if command.redeliver:
            redelivered_doubles += max(0, len(answers) - 1)
        elif answers and not command.error:
            doubles += len(answers) - 1
            latencies.append(answers[0] - command.sent_at)
            per_block[command.block].append(answers[0] - command.sent_at)
    per_command = 1000 / max(1, len(measured))
    return {
        "commands": len(measured),
        "warmup": len(side.commands) - len(measured),
        "redelivered": sum(c.redeliver for c in measured),
        "send_errors": sum(c.error is not None for c in measured),
        "latency": {"n": len(latencies), **{f"p{q}_ms": ms(latencies, q) for q in (50, 95, 99)}},
        "latency_max_ms": ms(latencies, 100),
        "p50_ms_per_block": [ms(per_block[b], 50) for b in sorted(per_block)],
        "lost": lost,
        # for the floor a second answer to a redelivery is expected: counted apart
        "duplicates": doubles + (redelivered_doubles if side.name == "bot" else 0),
        "answers_to_redeliveries": redelivered_doubles,
        "startup_s": round(side.startup_s, 2),
        "rss_peak_mb": round((proc_status(side.process.pid, "VmHWM") or 0) / 1024, 1),
        "cpu_ms_per_command": round(side.cpu_s * per_command, 2),
        "emulator_cpu_ms_per_command": round(side.emulator_cpu_s * per_command, 2),
    }


def ratio(bot: float | None, floor: float | None) -> float | None:
    return round(bot / floor, 3) if bot is not None and floor else None


def build_results(mode: str, plan: Plan, bot: dict, floor: dict, run_s: float) -> dict[str, Any]:
    lat = {f"p{q}_ratio": ratio(bot["latency"][f"p{q}_ms"], floor["latency"][f"p{q}_ms"])
           for q in (50, 95, 99)}  # fmt: skip
    met = {key: None if lat[key] is None else lat[key] <= t for key, t in TARGETS.items()}
    met["cpu"] = bot["cpu_ms_per_command"] <= CPU_TARGET_MS
    met["lost"] = bot["lost"] == floor["lost"] == 0
    met["duplicates"] = bot["duplicates"] == floor["duplicates"] == 0
    when = datetime.now(UTC).isoformat(timespec="seconds")
    return {"mode": mode, "measured_at": when, **_code_version(), "plan": asdict(plan),
            "run_s": round(run_s, 1), "bot": bot, "floor": floor, **lat,
            "lost": {"bot": bot["lost"], "floor": floor["lost"]},
            "duplicates": {"bot": bot["duplicates"], "floor": floor["duplicates"]},
            "targets_met": met}  # fmt: skip


ROWS = [  # label, key in the subjects' results, target, key in targets_met, with a ratio
    ("ack latency p50 (ms)", "p50_ms", "≤ 1.3 x floor", "p50_ratio", True),
    ("ack latency p95 (ms)", "p95_ms", "-", None, True),
    ("ack latency p99 (ms)", "p99_ms", "≤ 1.3 x floor", "p99_ratio", True),
    ("peak RSS, VmHWM (MB)", "rss_peak_mb", "-", None, True),
    ("start-up to listening (s)", "startup_s", "-", None, True),
    ("CPU per command (ms)", "cpu_ms_per_command", "≤ 5 ms (bot)", "cpu", True),
    ("emulator CPU per command (ms)", "emulator_cpu_ms_per_command", "-", None, True),
    ("lost commands", "lost", "0", "lost", False),
    ("duplicate answers", "duplicates", "0", "duplicates", False),
    ("second answers to redelivered activities", "answers_to_redeliveries", "-", None, False),
]


def table(results: dict[str, Any]) -> str:
    """The comparison as Markdown, like the Matrix tables in bench/RESULTS.md."""
    bot, floor, met = results["bot"], results["floor"], results["targets_met"]
    lines = ["| Teams, against the SDK floor | bot | SDK floor | ratio | target | met? |"]
    lines.append("|---|---:|---:|---:|---|---|")
    for label, key, target, ok, with_ratio in ROWS:
        b, f = (s["latency"].get(key, s.get(key)) for s in (bot, floor))
        r = results.get(key.replace("_ms", "_ratio")) if key.endswith("_ms") else ratio(b, f)
        cells = [f"{v:,.1f}" if isinstance(v, float) else str(v) for v in (b, f)]
        cells.append(f"{r:.2f}" if with_ratio and r is not None else "-")
        mark = {True: "yes", False: "**no**", None: "-"}[met[ok]] if ok else "-"
        lines.append(f"| {label} | {' | '.join(cells)} | {target} | {mark} |")
    plan = results["plan"]
    lines.append(
        f"\n{bot['commands']} commands per subject in {plan['blocks']} blocks at "
        f"{plan['rate']:g}/s ({bot['warmup']} warm-up not counted, {bot['redelivered']} "
        f"delivered twice); p50 per block (ms): bot {bot['p50_ms_per_block']}, "
        f"floor {floor['p50_ms_per_block']}"
    )
    return "\n".join(lines)


def results_md_section(results: dict[str, Any]) -> str:
    """The run's table for bench/RESULTS.md, headed by when and what."""
    commit = results["commit"] + (
        " (the bot's code modified)" if results["bot_code_modified"] else ""
    )
    plan = results["plan"]
    return (
        f"### Teams: `python -m bench.teams`, {results['measured_at'][:10]}, commit {commit}\n\n"
        f"{plan['commands']} commands per subject at {plan['rate']:g}/s.\n\n{table(results)}\n"
    )
