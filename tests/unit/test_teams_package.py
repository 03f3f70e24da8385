"""`allies-bot teams-package`: a zip Teams accepts, naming this bot."""

import json
import struct
import zipfile

from bot.cli.main import main

APP_ID = "11111111-2222-3333-4444-555555555555"
CONFIG = f"""
[teams]
app_id = "{APP_ID}"
tenant_id = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
public_url = "https://allies-bot.example.org"

[[groups]]
id = "allies"
teams_conversation = "19:abc@thread.tacv2"
"""


def test_the_package_holds_a_manifest_for_this_bot_and_two_icons(tmp_path, capsys):
    config = tmp_path / "config.toml"
    config.write_text(CONFIG)  # no app password: packaging does not need it
    out = tmp_path / "allies-bot.zip"
    assert main(["teams-package", "--config", str(config), "--out", str(out)]) == 0
    with zipfile.ZipFile(out) as package:
        assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(package.read("manifest.json"))
        sizes = {
            name: struct.unpack(">II", package.read(name)[16:24])
            for name in ("color.png", "outline.png")
        }
    assert sizes == {"color.png": (192, 192), "outline.png": (32, 32)}
    assert manifest["id"] == APP_ID and manifest["bots"][0]["botId"] == APP_ID
    assert manifest["bots"][0]["scopes"] == ["team", "groupChat", "personal"]
    commands = manifest["bots"][0]["commandLists"][0]["commands"]
    assert 1 <= len(commands) <= 10  # Teams' limit for a command menu
    assert {c["title"] for c in commands} >= {"help", "update", "minutes", "ics"}
    assert all(c["description"] for c in commands)
    assert manifest["validDomains"] == ["allies-bot.example.org"]
    assert manifest["developer"]["privacyUrl"] == "https://allies-bot.example.org/privacy"
    assert "10 commands" in capsys.readouterr().out


def test_without_an_app_id_it_says_what_is_missing(tmp_path, capsys):
    config = tmp_path / "config.toml"
    config.write_text(CONFIG.replace(f'app_id = "{APP_ID}"\n', ""))
    assert main(["teams-package", "--config", str(config), "--out", str(tmp_path / "x.zip")]) == 2
    assert "teams.app_id" in capsys.readouterr().err
    assert not (tmp_path / "x.zip").exists()
