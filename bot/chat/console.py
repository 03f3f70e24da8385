"""A terminal transport: type as a member, read the bot's replies.

The same router, handlers and storage as over Matrix, so a newcomer can try
the bot with no homeserver. `/as @user:server` switches who is typing.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
import uuid
from datetime import UTC, datetime
from typing import TextIO

from bot.chat.transport import EventHandler, Incoming, IncomingKind, Outgoing, private_user

PROMPT_HELP = "Type commands as a member (try !help). /as @user:server switches user, /quit ends."


class ConsoleTransport:
    def __init__(
        self, room_id: str, sender: str, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout
    ) -> None:
        self.room_id = room_id
        self.sender = sender
        self.stdin = stdin
        self.stdout = stdout
        self._counter = itertools.count(1)
        self._session = uuid.uuid4().hex[:8]
        self._stopped = False

    def _print(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    async def start(self, on_event: EventHandler) -> None:
        self._print(PROMPT_HELP)
        self._print(f"You are {self.sender}.")
        loop = asyncio.get_running_loop()
        while not self._stopped:
            line = await loop.run_in_executor(None, self.stdin.readline)
            if not line or line.strip() == "/quit":
                return
            line = line.rstrip("\n")
            if line.startswith("/as "):
                self.sender = line[4:].strip()
                self._print(f"You are now {self.sender}.")
                continue
            if line.strip():
                await on_event(self._incoming(line))

    def _incoming(self, body: str) -> Incoming:
        event_id = f"$console-{self._session}-{next(self._counter)}"
        return Incoming(
            kind=IncomingKind.MESSAGE,
            event_id=event_id,
            room_id=self.room_id,
            sender=self.sender,
            timestamp=datetime.now(UTC),
            body=body,
        )

    async def send(self, message: Outgoing, txn_id: str) -> str:
        if message.reaction is not None:
            self._print(f"bot reacts {message.reaction}")
            return f"$console-reaction-{txn_id}"
        who = "bot (privately)" if private_user(message.room_id) else "bot"
        if message.file is not None:
            self._print(f"{who}> [file {message.file.name}, {len(message.file.data):,} bytes]")
            return f"$console-file-{txn_id}"
        indented = message.body.replace("\n", "\n     ")
        self._print(f"{who}{' (edited)' if message.replaces else ''}> {indented}")
        return f"$console-reply-{txn_id}"

    def permalink(self, room_id: str, message_id: str) -> str | None:
        return None  # a terminal has no links to messages

    async def stop(self) -> None:
        self._stopped = True
