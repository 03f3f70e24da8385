"""The benchmark's smoke mode: it runs end to end and nothing is lost or
answered twice. Timings are not asserted (two shared cores in CI)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.cli import EXIT_NO_SYNAPSE

REPO = Path(__file__).resolve().parents[1]
KEYS = ("p50_ratio", "p99_ratio", "drain_ratio", "rss_mb", "startup_s", "lost", "duplicates")


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.mark.bench
@pytest.mark.timeout(120)
def test_smoke_run_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    output = tmp_path / "latest.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--output", str(output)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    if done.returncode == EXIT_NO_SYNAPSE and not _in_ci():
        pytest.skip(f"Synapse unavailable: {done.stderr[-500:]}")
    assert done.returncode == 0, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr[-5000:]}"
    results = json.loads(output.read_text())
    for key in KEYS:
        assert key in results, key
    assert results["lost"] == {"bot": 0, "floor": 0}
    assert results["duplicates"] == {"bot": 0, "floor": 0}
    assert results["send_errors"] == {"bot": 0, "floor": 0}
    bare = results["bare"]
    assert (bare["lost"], bare["duplicates"], bare["send_errors"]) == (0, 0, 0)
    assert (
        "p50_ratio_steady" in results["vs_bare"] and "cpu_ms_per_command" in results["targets_bare"]
    )
    many = results["bot60"]
    assert (many["lost"], many["duplicates"], many["send_errors"]) == (0, 0, 0)
    assert "rss_ratio" in results["targets_many"]
    for name in ("bot", "floor", "bare", "bot60"):
        run = results[name]
        assert run["answered"] == run["commands"] > 0, name
    assert results["rss_mb"] > 0 and results["startup_s"] > 0
    micro = results["micro"]
    assert micro["minutes_handler"]["ok"]
    updates = micro["update_throughput"]
    assert updates["answered"] == updates["commands"] == updates["baseline_answered"]
