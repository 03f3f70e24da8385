from pathlib import Path

import pytest

from bot.cli.main import main
from bot.config import ConfigError, load_config

REPO = Path(__file__).resolve().parents[2]
GOOD = """
[matrix]
homeserver = "https://matrix.example.org"
user_id = "@allies-bot:example.org"
password = "s3cret-pass"

[storage]
url = "sqlite+aiosqlite:///data/bot.db"

[[groups]]
id = "allies"
name = "ALLIES"
room = "!room:example.org"
timezone = "Europe/Brussels"
chairs = ["@chair:example.org"]
[[groups.members]]
user = "@member:example.org"
alliance = "FORTHEM"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_valid_config_loads_with_relative_paths_resolved(tmp_path):
    config = load_config(write(tmp_path, GOOD), environ={})
    assert config.matrix.password == "s3cret-pass"
    assert config.storage.url == f"sqlite+aiosqlite:///{tmp_path / 'data/bot.db'}"
    assert config.storage.data_dir == tmp_path / "data"
    group = config.groups[0]
    assert group.timezone.key == "Europe/Brussels"
    assert group.alliance_of("@member:example.org") == "FORTHEM"
    assert group.alliance_of("@stranger:example.org") is None


def test_secret_not_in_repr(tmp_path):
    config = load_config(write(tmp_path, GOOD), environ={})
    assert "s3cret-pass" not in repr(config)


def test_environment_overrides_password(tmp_path):
    config = load_config(write(tmp_path, GOOD), environ={"ALLIES_BOT_PASSWORD": "from-env"})
    assert config.matrix.password == "from-env"


def test_every_problem_reported_at_once_naming_the_key(tmp_path):
    bad = (
        GOOD.replace('"Europe/Brussels"', '"CET+1"')
        .replace('"@chair:example.org"', '"chair"')
        .replace('user_id = "@allies-bot:example.org"', 'user_id = "allies-bot"')
        .replace('alliance = "FORTHEM"', 'alliance = "FORTHEM"\ncolour = "red"')
    )
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, bad), environ={})
    problems = caught.value.problems
    assert (
        "groups[0].timezone: unknown time zone 'CET+1' (use an IANA name like 'Europe/Brussels')"
        in problems
    )
    assert any(p.startswith("groups[0].chairs[0]: 'chair'") for p in problems)
    assert any(p.startswith("matrix.user_id:") for p in problems)
    assert any(p.startswith("groups[0].members[0].colour: unknown key") for p in problems)
    assert len(problems) == 4


def test_missing_groups_and_credentials(tmp_path):
    text = GOOD.split("[[groups]]")[0].replace('password = "s3cret-pass"', "")
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text), environ={})
    assert {p.split(":")[0] for p in caught.value.problems} == {"matrix.password", "groups"}


def test_duplicate_group_ids_and_rooms(tmp_path):
    group = GOOD[GOOD.index("[[groups]]") :]
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, GOOD + group), environ={})
    assert caught.value.problems == [
        "groups[1].id: duplicate group id 'allies'",
        "groups[1].room: room '!room:example.org' is used by two groups",
    ]


def test_console_does_not_need_matrix(tmp_path):
    text = GOOD.replace('password = "s3cret-pass"', "")
    config = load_config(write(tmp_path, text), environ={}, require_matrix=False)
    assert config.matrix is None


def test_not_toml(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, "[matrix\n"), environ={})
    assert "not valid TOML" in caught.value.problems[0]


def test_check_config_cli_exit_codes(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("ALLIES_BOT_PASSWORD", raising=False)
    monkeypatch.delenv("ALLIES_BOT_ACCESS_TOKEN", raising=False)
    assert main(["check-config", "--config", str(write(tmp_path, GOOD))]) == 0
    out = capsys.readouterr().out
    assert "group allies (ALLIES)" in out and "1 member from 1 alliance" in out
    assert "s3cret-pass" not in out
    with pytest.raises(SystemExit) as caught:
        main(
            [
                "check-config",
                "--config",
                str(write(tmp_path, GOOD.replace("Europe/Brussels", "Mars/Base"))),
            ]
        )
    assert caught.value.code == 2
    assert "groups[0].timezone: unknown time zone 'Mars/Base'" in capsys.readouterr().err


def test_example_config_is_valid_once_a_password_is_given():
    config = load_config(REPO / "config.example.toml", environ={"ALLIES_BOT_PASSWORD": "x" * 8})
    assert config.groups[0].id == "allies"
    assert config.matrix.device_name == "allies-bot"


CADENCE = """
call_link = "https://meet.example.org/allies"
languages = ["en", "de"]
[groups.cadence]
dates = ["2025-05-09 11:00"]
start = "2025-09-05 11:00"
every = "6 weeks"
duration = "1h"
breaks = [{ from = "2026-07-01", to = "2026-08-31" }]
until = "2028-10-31"
[groups.announce]
agenda_before = "7d"
reminders = ["1d", "15m"]
chase_updates = "off"
grace = "2h"
"""


def test_cadence_and_announce_parse(tmp_path):
    text = GOOD.replace(
        'chairs = ["@chair:example.org"]', 'chairs = ["@chair:example.org"]' + CADENCE
    )
    group = load_config(write(tmp_path, text), environ={}).groups[0]
    schedule = group.schedule
    assert schedule.cadence.every.interval == 6 and schedule.cadence.every.unit == "week"
    assert schedule.cadence.breaks[0][0].isoformat() == "2026-07-01"
    assert schedule.announce.chase_updates is None
    assert [r.total_seconds() for r in schedule.announce.reminders] == [86400, 900]
    assert schedule.languages == ("en", "de") and schedule.call_link.startswith("https://")
    assert schedule.standing_items[-1] == "Any other business"


def test_bad_cadence_keys_are_all_named(tmp_path):
    bad = (
        CADENCE.replace('"6 weeks"', '"6 fortnights"')
        .replace('"2025-09-05 11:00"', '"5.9.2025"')
        .replace('reminders = ["1d", "15m"]', 'reminders = ["1d", "soon"]')
        .replace('languages = ["en", "de"]', 'languages = ["en", "klingon"]')
        .replace('until = "2028-10-31"', 'until = "2028-10-31"\nrepeat = true')
    )
    text = GOOD.replace('chairs = ["@chair:example.org"]', 'chairs = ["@chair:example.org"]' + bad)
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text), environ={})
    keys = sorted(p.split(":")[0] for p in caught.value.problems)
    assert keys == [
        "groups[0].announce.reminders[1]",
        "groups[0].cadence.every",
        "groups[0].cadence.repeat",
        "groups[0].cadence.start",
        "groups[0].languages",
    ]


def test_a_retention_reads_in_words():
    from bot.config.privacy import parse_retention
    from bot.config.problems import Checker

    check = Checker()
    cases = {"3y": "three years", "1 year": "one year", "18 months": "18 months"}
    cases |= {"400d": "400 days", "6w": "six weeks", "off": "for good"}
    assert {text: parse_retention(text, "k", check).words for text in cases} == cases
