"""The one place that parses `!command args` and decides who may run what.

Handlers register with a required role, a usage line and a one-line summary
(their `!help` entry). The router answers unknown commands with a hint and
refuses commands above the sender's role naming who may, so no handler
repeats a permission check.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum

from bot.config import GroupConfig
from bot.transport import OutgoingFile
from storage.repo import Repo

COMMAND_RE = re.compile(r"^!([A-Za-z][A-Za-z0-9_-]{0,31})(?:\s+(.*))?$", re.DOTALL)


class Role(IntEnum):
    OUTSIDER = 0
    MEMBER = 1
    VICE_CHAIR = 2
    CHAIR = 3

    @property
    def who(self) -> str:
        """Who may run a command needing this role, for refusals and !help."""
        return {
            Role.OUTSIDER: "everyone",
            Role.MEMBER: "members of the group",
            Role.VICE_CHAIR: "chairs and vice-chairs",
            Role.CHAIR: "chairs",
        }[self]


def role_of(group: GroupConfig, user_id: str) -> Role:
    if user_id in group.chairs:
        return Role.CHAIR
    if user_id in group.vice_chairs:
        return Role.VICE_CHAIR
    if group.alliance_of(user_id) is not None:
        return Role.MEMBER
    return Role.OUTSIDER


@dataclass(frozen=True)
class RoomPost:
    """A message to the room on its own (not a reply). `txn_key` names it for
    good; `replaces_key` names an earlier post of ours to edit instead."""

    markdown: str
    txn_key: str
    file: OutgoingFile | None = None
    replaces_key: str | None = None


@dataclass(frozen=True)
class Reply:
    """What a handler answers: Markdown (member text already escaped), plus
    optionally a file sent with it and an announcement posted to the room on
    its own (not as a reply), e.g. "the meeting on … is cancelled"."""

    markdown: str
    mentions: tuple[str, ...] = ()
    file: OutgoingFile | None = None
    announcement: str | None = None
    react: str | None = None  # acknowledge with a reaction (markdown may then be "")
    room_posts: tuple[RoomPost, ...] = ()


@dataclass
class CommandContext:
    """Everything a handler needs, the same over Matrix, console and tests."""

    group: GroupConfig
    sender: str
    role: Role
    args: str
    event_id: str
    room_id: str
    now: datetime
    repo: Repo
    router: Router
    calendar_changed: bool = False  # set by handlers that skip, move or add meetings

    @property
    def alliance(self) -> str | None:
        return self.group.alliance_of(self.sender)


Handler = Callable[[CommandContext], Awaitable[Reply]]


@dataclass(frozen=True)
class Command:
    name: str
    handler: Handler
    role: Role
    usage: str
    summary: str


class UsageError(Exception):
    """Raised by a handler when arguments are wrong; the router adds usage."""


def number_arg(text: str) -> int | None:
    """An ASCII whole number (`"²".isdigit()` is true but `int("²")` fails)."""
    text = text.strip().lstrip("#")
    return int(text) if re.fullmatch(r"[0-9]{1,9}", text) else None


def parse_command(body: str) -> tuple[str, str] | None:
    """`!Update  text` -> ("update", "text"); None for anything not a command."""
    match = COMMAND_RE.match(body.strip())
    if match is None:
        return None
    return match.group(1).lower(), (match.group(2) or "").strip()


class Router:
    def __init__(self) -> None:
        self._commands: dict[str, Command] = {}

    def command(
        self, name: str, *, role: Role, usage: str, summary: str
    ) -> Callable[[Handler], Handler]:
        """Decorator registering a handler under `!name`."""

        def register(handler: Handler) -> Handler:
            if name in self._commands:
                raise ValueError(f"command !{name} registered twice")
            self._commands[name] = Command(name, handler, role, usage, summary)
            return handler

        return register

    def available_to(self, role: Role) -> list[Command]:
        return [c for c in self._commands.values() if c.role <= role]

    def get(self, name: str) -> Command | None:
        return self._commands.get(name)

    def resolve(self, name: str, args: str) -> tuple[str, str]:
        """Prefer a two-word command (`!agenda add …`) over the one-word one."""
        word, _, rest = args.partition(" ")
        if word and f"{name} {word.lower()}" in self._commands:
            return f"{name} {word.lower()}", rest.strip()
        return name, args

    async def dispatch(self, ctx: CommandContext, name: str) -> Reply:
        name, ctx.args = self.resolve(name, ctx.args)
        command = self._commands.get(name)
        if command is None:
            return Reply(self._unknown(name))
        if ctx.role < command.role:
            return Reply(f"Sorry, `!{name}` is for {command.role.who} only.")
        try:
            return await command.handler(ctx)
        except UsageError as exc:
            return Reply(f"{exc}\n\nUsage: `{command.usage}`")

    def _unknown(self, name: str) -> str:
        close = difflib.get_close_matches(name, list(self._commands), n=1, cutoff=0.7)
        hint = f" Did you mean `!{close[0]}`?" if close else ""
        return f"I don't know the command `!{name}`.{hint} Type `!help` for the list."
