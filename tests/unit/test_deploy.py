"""The systemd unit in `deploy/`: `systemd-analyze verify` accepts it and
`systemd-analyze security` rates it "OK" or better. ExecStart is pointed at
this checkout's `allies-bot` for the check (verify wants the file to exist);
every other line is checked as shipped."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

UNIT = Path(__file__).resolve().parents[2] / "deploy" / "allies-bot.service"
SHIPPED_EXEC = "/opt/allies-bot/venv/bin/allies-bot"
ANALYZE = shutil.which("systemd-analyze") or "systemd-analyze"  # scripts/test installs it


def local_unit(tmp_path: Path) -> Path:
    here = Path(sys.executable).parent / "allies-bot"
    text = UNIT.read_text()
    assert SHIPPED_EXEC in text
    path = tmp_path / "allies-bot.service"
    path.write_text(text.replace(SHIPPED_EXEC, str(here)))
    return path


def test_systemd_accepts_the_unit(tmp_path):
    done = subprocess.run(
        [ANALYZE, "verify", str(local_unit(tmp_path))], capture_output=True, text=True
    )
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr


def test_the_sandbox_rates_ok_or_better(tmp_path):
    done = subprocess.run(
        [ANALYZE, "security", "--offline=true", str(local_unit(tmp_path))],
        capture_output=True,
        text=True,
    )
    found = re.search(r"Overall exposure level for \S+: ([\d.]+) (\w+)", done.stdout)
    assert found is not None, done.stdout[-500:]
    assert found[2] in ("SAFE", "OK") and float(found[1]) <= 2.0, found[0]


def test_the_unit_keeps_the_promised_settings():
    text = UNIT.read_text()
    for line in (
        "DynamicUser=yes",
        "StateDirectory=allies-bot",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "PrivateTmp=yes",
        "UMask=0077",
    ):
        assert f"\n{line}\n" in text, line
