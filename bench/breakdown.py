"""Where a bot reply's latency goes, from a kept run (`python -m bench --keep`).

    python -m bench.breakdown /tmp/allies-bench-XXXX [--phase steady]

Joins the benchmark's per-command record (`bot/commands.json`: when each
command was sent, when its reply reached the member) with the bot's own log
lines, `command !x from ... ($event)` (handling starts) and `sent <txn> as
<id>` (the reply's send returned), into three legs:

- in: member send -> the bot starts handling (Synapse persists the command,
  the bot's sync returns it, nio parses the response);
- bot: handling + outbox + the reply's send call (Synapse persisting it);
- out: the send returned -> the reply reaches the member's client.

Log timestamps have millisecond resolution.
"""

from __future__ import annotations

import argparse
import json
import re
from datetime import datetime
from pathlib import Path

from bench.cli import percentile

COMMAND_RE = re.compile(r"^(\S+ \S+) INFO \S+: command !\S+ from \S+ in \S+ \((\$[^)]+)\)")
SENT_RE = re.compile(r"^(\S+ \S+) INFO \S+: sent (\S+) as ")
LOG_TIME_FORMAT = "%Y-%m-%d %H:%M:%S,%f"


def _time(text: str) -> float:
    return datetime.strptime(text, LOG_TIME_FORMAT).timestamp()


def legs(workdir: Path, phase: str | None) -> dict[str, list[float]]:
    from bot.runtime.outbox_writer import txn_id_for

    started: dict[str, float] = {}
    sent: dict[str, float] = {}
    for line in (workdir / "bot" / "bot.log").read_text(errors="replace").splitlines():
        if match := COMMAND_RE.match(line):
            started.setdefault(match[2], _time(match[1]))
        elif match := SENT_RE.match(line):
            sent.setdefault(match[2], _time(match[1]))
    result: dict[str, list[float]] = {"in": [], "bot": [], "out": [], "total": []}
    for row in json.loads((workdir / "bot" / "commands.json").read_text()):
        if row["phase"] == "warmup" or (phase and row["phase"] != phase):
            continue
        event_id, latency = row["event_id"], row["latency"]
        txn = txn_id_for(event_id, 0) if event_id else None
        if latency is None or event_id not in started or txn not in sent:
            continue
        arrived = row["sent_wall"] + latency
        result["in"].append(started[event_id] - row["sent_wall"])
        result["bot"].append(sent[txn] - started[event_id])
        result["out"].append(arrived - sent[txn])
        result["total"].append(latency)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.breakdown")
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--phase", choices=("steady", "burst"))
    args = parser.parse_args()
    found = legs(args.workdir, args.phase)
    print(f"{len(found['total'])} commands; milliseconds")
    print(f"{'leg':<6} {'p50':>8} {'p95':>8} {'p99':>8} {'mean':>8}")
    for name, values in found.items():
        if not values:
            continue
        p50, p95, p99 = (percentile(values, q) for q in (50, 95, 99))
        mean = sum(values) / len(values)
        print(f"{name:<6} {p50 * 1000:8.1f} {p95 * 1000:8.1f} {p99 * 1000:8.1f} {mean * 1000:8.1f}")


if __name__ == "__main__":
    main()
