"""In-process pieces for fast handler tests: a recording transport and a
harness that drives the real core, router, handlers and SQLite storage."""

from __future__ import annotations

import itertools
import shutil
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.chat.transport import Incoming, IncomingKind, Outgoing
from bot.config import Config, load_config
from bot.runtime.core import BotCore
from bot.runtime.outbox import OutboxSender
from handlers import build_router
from storage.db import Storage

CONFIG = """
[storage]
url = "sqlite+aiosqlite:///bot.db"
data_dir = "data"

[[groups]]
id = "allies"
name = "ALLIES"
room = "!allies:example.org"
timezone = "Europe/Brussels"
chairs = ["@chair:example.org"]
vice_chairs = ["@vice:example.org"]
[[groups.members]]
user = "@chair:example.org"
alliance = "FORTHEM"
[[groups.members]]
user = "@anna:example.org"
alliance = "FORTHEM"
[[groups.members]]
user = "@bo:example.org"
alliance = "CIVIS"
"""
ROOM = "!allies:example.org"
CADENCE = """
[groups.cadence]
dates = ["2025-05-09 11:00", "2025-06-13 11:00"]
start = "2025-09-05 11:00"
every = "6 weeks"
duration = "1h"
until = "2028-10-31"
[groups.announce]
agenda_before = "7d"
reminders = ["1d", "15m"]
chase_updates = "2d"
grace = "2h"
"""
CONFIG_WITH_CADENCE = (
    CONFIG.replace(
        'vice_chairs = ["@vice:example.org"]',
        'vice_chairs = ["@vice:example.org"]\ncall_link = "https://meet.example.org/allies"',
    )
    + CADENCE
)


@dataclass
class RecordingTransport:
    sent: list[tuple[str, Outgoing]] = field(default_factory=list)

    async def start(self, on_event) -> None:  # pragma: no cover - not used
        raise NotImplementedError

    async def send(self, message: Outgoing, txn_id: str) -> str:
        self.sent.append((txn_id, message))
        return f"$sent{len(self.sent)}"

    async def stop(self) -> None:  # pragma: no cover - not used
        pass

    def permalink(self, room_id: str, message_id: str) -> str:
        return f"https://matrix.to/#/{room_id}/{message_id}"  # it stands for a Matrix room


class Harness:
    """Types as members into the real core and returns the bot's answers."""

    def __init__(self, config: Config, core: BotCore, transport: RecordingTransport) -> None:
        self.config = config
        self.core = core
        self.transport = transport
        self.clock = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
        self._ids = itertools.count(1)

    def next_id(self) -> str:
        return f"$ev{next(self._ids)}"

    async def deliver(self, event: Incoming) -> list[Outgoing]:
        before = len(self.transport.sent)
        self.clock += timedelta(seconds=1)
        await self.core.handle(event)
        await self.core.outbox.flush()
        return [message for _, message in self.transport.sent[before:]]

    async def say(
        self, sender: str, body: str, event_id: str | None = None, room: str = ROOM
    ) -> list[Outgoing]:
        event_id = event_id or self.next_id()
        return await self.deliver(
            Incoming(IncomingKind.MESSAGE, event_id, room, sender, self.clock, body)
        )

    async def say_at(
        self, when: datetime, sender: str, body: str, room: str = ROOM
    ) -> list[Outgoing]:
        """`say` with the clock set to `when` first (a scripted history)."""
        self.clock = when
        return await self.say(sender, body, room=room)

    async def edit(self, sender: str, target: str, body: str) -> list[Outgoing]:
        return await self.deliver(
            Incoming(IncomingKind.EDIT, self.next_id(), ROOM, sender, self.clock, body, target)
        )

    async def redact(self, sender: str, target: str) -> list[Outgoing]:
        return await self.deliver(
            Incoming(IncomingKind.REDACTION, self.next_id(), ROOM, sender, self.clock, "", target)
        )


# A SQLite database at the newest schema revision, migrated once per test
# session (`sqlite_template` in tests/unit/conftest.py); `make_harness`
# copies it instead of running Alembic again. None: every harness migrates.
_sqlite_template: Path | None = None


async def migrate_sqlite_template(path: Path) -> Path:
    """Migrate a new SQLite database at `path` for real and leave it as one
    self-contained file (rollback journal, not WAL), ready to be copied."""
    storage = Storage(f"sqlite+aiosqlite:///{path}")
    try:
        await storage.migrate()
    finally:
        await storage.close()
    db = sqlite3.connect(path)
    try:
        db.execute("PRAGMA journal_mode=DELETE")  # folds the WAL into the file
    finally:
        db.close()
    return path


def use_sqlite_template(path: Path | None) -> None:
    """From now on harnesses on a new SQLite file start from a copy of `path`."""
    global _sqlite_template
    _sqlite_template = path


def _copy_template(url: str) -> None:
    parsed = make_url(url)
    if _sqlite_template is None or parsed.get_backend_name() != "sqlite":
        return
    if parsed.database in (None, "", ":memory:"):
        return
    target = Path(parsed.database)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(_sqlite_template, target)


async def make_harness(tmp_path: Path, config_text: str = CONFIG) -> Harness:
    path = tmp_path / "config.toml"
    path.write_text(config_text)
    config = load_config(path, require_matrix=False)
    _copy_template(config.storage.url)
    storage = Storage(config.storage.url)
    await storage.migrate()  # on a copy of the template: one SELECT finds it at head
    transport = RecordingTransport()
    holder: dict[str, Harness] = {}
    core = BotCore(
        storage,
        build_router(),
        OutboxSender(storage, lambda: holder["h"].clock),
        clock=lambda: holder["h"].clock,
    )
    core.outbox.attach(transport)
    core.bind_room(ROOM, config.groups[0])
    holder["h"] = Harness(config, core, transport)
    return holder["h"]


async def queued_harness(tmp_path: Path, rooms: list[str]) -> Harness:
    """A harness whose outbox holds message `m<i>` (txn `t<i>`) for `rooms[i]`, in order."""
    h = await make_harness(tmp_path)
    async with h.core.storage.transaction() as repo:
        for index, room in enumerate(rooms):
            await repo.enqueue(
                txn_id=f"t{index}",
                room_id=room,
                body=f"m{index}",
                html="",
                reply_to=None,
                mentions=(),
                now=h.clock,
            )
    return h
