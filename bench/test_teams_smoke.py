"""The Teams benchmark's smoke mode: it runs end to end through the real
emulator and the bot loses and duplicates nothing, even for activities
delivered twice. Timings are not asserted (two shared cores in CI). Without
the emulator (`npm ci` in tests/integration/teams) it is skipped locally and
fails in CI, where a missing emulator is a broken set-up, not a choice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.teams_playground import NODE

REPO = Path(__file__).resolve().parents[1]
LATENCY_KEYS = ("p50_ms", "p95_ms", "p99_ms")


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.mark.bench
@pytest.mark.timeout(150)
def test_teams_smoke_run_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    if not NODE.exists():
        if _in_ci():
            pytest.fail(f"the Teams emulator is missing in CI: {NODE}")
        pytest.skip("no Teams emulator: npm ci in tests/integration/teams")
    output = tmp_path / "teams.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.teams", "--smoke", "--output", str(output)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=110)
    except subprocess.TimeoutExpired:
        # SIGTERM first: the run then stops its emulators (a kill would orphan them).
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=30)
        pytest.fail(f"the smoke run took over 110 s:\n{stderr[-5000:]}")
    assert process.returncode == 0, f"stdout:\n{stdout}\nstderr:\n{stderr[-5000:]}"
    results = json.loads(output.read_text())
    assert results["lost"] == {"bot": 0, "floor": 0}
    assert results["duplicates"]["bot"] == 0
    for name in ("bot", "floor"):
        run = results[name]
        assert run["commands"] > 0 and run["send_errors"] == 0, name
        assert all(run["latency"][key] is not None for key in LATENCY_KEYS), run["latency"]
        assert run["rss_peak_mb"] > 0, name
    assert results["bot"]["redelivered"] > 0  # the dedupe was exercised
    assert results["floor"]["answers_to_redeliveries"] == results["floor"]["redelivered"]
    for key in ("p50_ratio", "p95_ratio", "p99_ratio"):
        assert results[key] is not None, key
