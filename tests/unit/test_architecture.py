"""The import contracts in pyproject.toml hold, and they can fail.

`scripts/test` runs `lint-imports` on the tree before pytest; these tests
run it on a copy of the tree with one forbidden import added, so a contract
that quietly stopped checking anything (a renamed package, a typo in a
module name) breaks the suite instead of passing forever.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

# (file to change, import to add, contract expected to break)
VIOLATIONS = [
    ("bot/meeting/agenda.py", "import storage.repo", "meeting domain are pure"),
    ("bot/calendar/cadence.py", "import nio", "meeting domain are pure"),
    ("bot/meeting/minutes.py", "import apscheduler", "meeting domain are pure"),
    ("bot/runtime/core.py", "from handlers.updates import apply_edit", "Wings are layered"),
    ("bot/config/schema.py", "import bot.meeting.render", "Wings are layered"),
    ("bot/chat/matrix/send.py", "import bot.meeting.render", "Wings are layered"),
    ("bot/chat/matrix/send.py", "import bot.chat.console", "independent of each other"),
    ("handlers/help.py", "import bot.chat.transport", "Handlers never import a chat adapter"),
]


def lint(tree: Path) -> subprocess.CompletedProcess[str]:
    """Run the linter on `tree` (its pyproject.toml, its packages first on
    the path, so the installed project does not stand in for the copy)."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def tree_copy(tmp_path: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in ("bot", "handlers", "storage"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_tree_keeps_every_contract(tree_copy: Path) -> None:
    result = lint(tree_copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(("module", "statement", "contract"), VIOLATIONS)
def test_a_forbidden_import_breaks_its_contract(
    tree_copy: Path, module: str, statement: str, contract: str
) -> None:
    path = tree_copy / module
    path.write_text(path.read_text() + f"\n{statement}  # added by the test\n")
    result = lint(tree_copy)
    assert result.returncode == 1, result.stdout + result.stderr
    broken = [line for line in result.stdout.splitlines() if line.endswith("BROKEN")]
    assert any(contract in line for line in broken), result.stdout
    assert module.removesuffix(".py").replace("/", ".") in result.stdout
