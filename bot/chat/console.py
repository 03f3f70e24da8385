"""A terminal transport: type as a member, read the bot's replies.

The same router, handlers and storage as over Matrix, so a newcomer can try
the bot with no homeserver. Lines starting with `/` are the console's own:
`/as @user:server` switches who is typing, `/edit` and `/delete` change or
withdraw your last message (as a chat client would), and the wiring may add
more (`/time`, `/wait`). Files the bot posts are saved under `files_dir`.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from bot.chat.transport import EventHandler, Incoming, IncomingKind, Outgoing, private_user

PROMPT_HELP = "Type commands as a member (try !help); /help lists the console's own commands."
# The console's own commands: name -> (usage, what it does)
OWN_COMMANDS = {
    "as": ("/as @user:server", "type as someone else"),
    "edit": ("/edit <new message>", "replace your last message with this one (all of it)"),
    "delete": ("/delete", "withdraw your last message"),
    "help": ("/help", "this list"),
    "quit": ("/quit", "end the console"),
}
ConsoleCommand = Callable[[str], Awaitable[str]]


class ConsoleTransport:
    def __init__(
        self,
        room_id: str,
        sender: str,
        stdin: TextIO = sys.stdin,
        stdout: TextIO = sys.stdout,
        *,
        files_dir: Path | None = None,
        commands: Mapping[str, tuple[str, str, ConsoleCommand]] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.room_id = room_id
        self.sender = sender
        self.stdin = stdin
        self.stdout = stdout
        self.files_dir = files_dir
        self.commands = dict(commands or {})  # name -> (usage, what it does, handler)
        self._counter = itertools.count(1)
        self._session = uuid.uuid4().hex[:8]
        self._stopped = False
        self._last: dict[str, str] = {}  # sender -> their last message's id
        self._interactive = stdin.isatty()
        self.clock = clock

    def _print(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    async def start(self, on_event: EventHandler) -> None:
        self._print(PROMPT_HELP)
        self._print(f"You are {self.sender}.")
        loop = asyncio.get_running_loop()
        while not self._stopped:
            if self._interactive:
                self.stdout.write(f"{self.sender}> ")
                self.stdout.flush()
            line = await loop.run_in_executor(None, self.stdin.readline)
            if not line or line.strip() == "/quit":
                return
            line = line.rstrip("\n")
            if line.startswith("/"):
                await self._own_command(line, on_event)
            elif line.strip():
                await on_event(self._incoming(IncomingKind.MESSAGE, line))

    async def _own_command(self, line: str, on_event: EventHandler) -> None:
        name, _, rest = line[1:].partition(" ")
        rest = rest.strip()
        last = self._last.get(self.sender)
        if name == "as" and rest:
            self.sender = rest
            self._print(f"You are now {self.sender}.")
        elif name in ("edit", "delete") and last is None:
            self._print(f"console> You ({self.sender}) have sent nothing to {name} yet.")
        elif name == "edit" and rest:
            await on_event(self._incoming(IncomingKind.EDIT, rest, target=last))
        elif name == "delete" and not rest:
            self._last.pop(self.sender, None)
            await on_event(self._incoming(IncomingKind.REDACTION, "", target=last))
        elif name in self.commands and (rest or "<" not in self.commands[name][0]):
            self._print(f"console> {await self.commands[name][2](rest)}")
        elif name == "help":
            self._print(self._help())
        else:
            usage = {**OWN_COMMANDS, **self.commands}.get(name, ("/help",))[0]
            self._print(f"console> Usage: {usage} (/help lists the console's commands).")

    def _help(self) -> str:
        rows = [(u, what) for u, what in OWN_COMMANDS.values()]
        rows += [(u, what) for u, what, _ in self.commands.values()]
        width = max(len(u) for u, _ in rows)
        return "console> The console's own commands:\n" + "\n".join(
            f"     {u.ljust(width)}  {what}" for u, what in rows
        )

    def _incoming(self, kind: IncomingKind, body: str, target: str | None = None) -> Incoming:
        event_id = f"$console-{self._session}-{next(self._counter)}"
        if kind == IncomingKind.MESSAGE:
            self._last[self.sender] = event_id
        return Incoming(
            kind=kind,
            event_id=event_id,
            room_id=self.room_id,
            sender=self.sender,
            timestamp=self.clock(),
            body=body,
            target_event_id=target,
        )

    def _save(self, name: str, data: bytes) -> str:
        """Write a posted file under `files_dir` (its own name only, never a path)."""
        if self.files_dir is None:
            return f"[file {name}, {len(data):,} bytes]"
        self.files_dir.mkdir(parents=True, exist_ok=True)
        path = self.files_dir / (Path(name).name or "file")
        path.write_bytes(data)
        return f"[file {path.name}, {len(data):,} bytes, saved as {path}]"

    async def send(self, message: Outgoing, txn_id: str) -> str:
        if message.reaction is not None:
            self._print(f"bot reacts {message.reaction}")
            return f"$console-reaction-{txn_id}"
        who = "bot (privately)" if private_user(message.room_id) else "bot"
        if message.file is not None:
            self._print(f"{who}> {self._save(message.file.name, message.file.data)}")
            return f"$console-file-{txn_id}"
        indented = message.body.replace("\n", "\n     ")
        self._print(f"{who}{' (edited)' if message.replaces else ''}> {indented}")
        return f"$console-reply-{txn_id}"

    def permalink(self, room_id: str, message_id: str) -> str | None:
        return None  # a terminal has no links to messages

    async def stop(self) -> None:
        self._stopped = True
