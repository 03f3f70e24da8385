"""`allies-bot teams-package`: the Teams app package an admin sideloads.

A zip of `manifest.json` (the bot's app id, the scopes team / groupChat /
personal, the commands Teams lists in its command menu) and two icons. The
command menu holds at most ten commands: the ones members use most, each
with the summary `!help` shows, so the menu and the bot never disagree.
The manifest's privacy link is the notice the bot serves itself
(`public_url/privacy`, from `[privacy]`).
"""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from pathlib import Path
from urllib.parse import urlsplit

from bot.config import Config
from handlers import build_router

MANIFEST_VERSION = "1.17"
SCHEMA = (
    "https://developer.microsoft.com/en-us/json-schemas/teams/"
    f"v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
)
MENU = (
    "help",
    "update",
    "updates",
    "agenda",
    "next",
    "actions",
    "action",
    "minutes",
    "ics",
    "mydata",
)
ACCENT = (0x1F, 0x4E, 0x79)


def _png(size: int, pixel) -> bytes:
    """A small RGBA PNG drawn by `pixel(x, y) -> (r, g, b, a)`: no image library needed."""
    rows = b"".join(
        b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(size)) for y in range(size)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def _color_icon() -> bytes:
    """192 by 192 pixels: a white calendar page on the accent colour."""

    def pixel(x: int, y: int):
        inside = 48 <= x < 144 and 52 <= y < 148
        header = inside and y < 76
        return (*ACCENT, 255) if not inside or header else (255, 255, 255, 255)

    return _png(192, pixel)


def _outline_icon() -> bytes:
    """32 by 32 pixels: the same page as a white outline on transparent, as Teams asks."""

    def pixel(x: int, y: int):
        edge = (x in (6, 25) and 7 <= y <= 26) or (y in (7, 12, 26) and 6 <= x <= 25)
        return (255, 255, 255, 255) if edge else (0, 0, 0, 0)

    return _png(32, pixel)


def manifest(config: Config, version: str = "1.0.0") -> dict:
    teams = config.teams
    assert teams is not None and teams.app_id, "a registered bot (app_id) is needed"
    router = build_router()
    commands = [
        {"title": name, "description": command.summary[:128]}
        for name in MENU
        if (command := router.get(name)) is not None
    ]
    scopes = ["team", "groupChat", "personal"]
    return {
        "$schema": SCHEMA,
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        "id": teams.app_id,
        "developer": {
            "name": "ALLIES bot operators",
            "websiteUrl": teams.public_url,
            "privacyUrl": f"{teams.public_url}/privacy",
            "termsOfUseUrl": f"{teams.public_url}/privacy",
        },
        "name": {"short": "ALLIES bot", "full": "ALLIES meeting-cycle bot"},
        "description": {
            "short": "Agenda, member updates, minutes and actions for the group's meetings.",
            "full": (
                "Runs the working group's meeting cycle in its channel: the agenda a week "
                "ahead, member updates per alliance, reminders, minutes with decisions and "
                "action items, and the group's outputs. Mention the bot and type help."
            ),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": "#{:02X}{:02X}{:02X}".format(*ACCENT),
        "bots": [
            {
                "botId": teams.app_id,
                "scopes": scopes,
                "supportsFiles": False,
                "isNotificationOnly": False,
                "commandLists": [{"scopes": scopes, "commands": commands}],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [urlsplit(teams.public_url).hostname or ""],
    }


def write_package(config: Config, out: Path, version: str = "1.0.0") -> dict:
    """Write the zip (manifest and icons at its root, as Teams wants); return
    the manifest. Teams takes an update of an uploaded app only with a
    higher `version`."""
    data = manifest(config, version)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("manifest.json", json.dumps(data, indent=2, ensure_ascii=False))
        package.writestr("color.png", _color_icon())
        package.writestr("outline.png", _outline_icon())
    return data
