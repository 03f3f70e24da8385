"""`check-config` shows every problem of every table in one run."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli.main import main

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"


def broken_example() -> str:
    text = EXAMPLE.read_text()
    for old, new in (
        ('chairs = ["@chair:example.org"]', "chairs = []"),
        ("[storage]", '[storage]\nurll = "x"'),
        ('timezone = "Europe/Brussels"', 'timezone = "Europe/Brusels"'),
        ('user = "@member:example.org"', 'user = "member"\nfoo = 1'),
        ('retention = "3y"', 'retention = "forever"'),
        ("every = ", 'every = "sometimes"\n# '),
    ):
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def test_every_problem_in_one_run(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ALLIES_BOT_PASSWORD", "x")
    path = tmp_path / "config.toml"
    path.write_text(broken_example())
    with pytest.raises(SystemExit) as exited:
        main(["check-config", "--config", str(path)])
    assert exited.value.code == 2
    lines = capsys.readouterr().err.splitlines()
    keys = [line.split(": ", 1)[0] for line in lines[:-1]]
    assert keys == [
        "storage.urll",
        "privacy.retention",
        "groups[0].timezone",
        "groups[0].members[1].foo",
        "groups[0].members[1].user",
        "groups[0].cadence.every",  # read although the zone is wrong
        "warning",
    ]
    assert lines[-2].startswith("warning: groups[0].chairs: empty: name at least one chair")
    assert lines[-1] == f"6 problems and 1 warning in {path}"
    for line in lines[:-1]:  # the key is said once: not "cadence: cadence: …"
        key, message = line.removeprefix("warning: ").split(": ", 1)
        assert not message.startswith(key.rsplit(".", 1)[-1].split("[")[0] + ":"), line


def test_a_group_without_chairs_is_a_warning_of_a_valid_config(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ALLIES_BOT_PASSWORD", "x")
    path = tmp_path / "config.toml"
    path.write_text(EXAMPLE.read_text().replace('chairs = ["@chair:example.org"]', "chairs = []"))
    assert main(["check-config", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    assert "config OK" in out and "warning: groups[0].chairs: empty" in out


def test_version_prints_the_installed_version(capsys):
    import tomllib
    from pathlib import Path

    import pytest

    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    assert stop.value.code == 0
    assert capsys.readouterr().out == f"allies-bot {pyproject['project']['version']}\n"
