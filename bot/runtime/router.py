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
from enum import IntEnum, StrEnum

# Handlers attach files as `OutgoingFile` and answer with `Reply` (its posts
# and mails too) from here: they never import a chat adapter.
from bot.chat.transport import OutgoingFile as OutgoingFile
from bot.config import GroupConfig
from bot.config.web import WebConfig
from bot.meeting.people import Names
from bot.runtime.calendars import load_names
from bot.runtime.replies import MailPost as MailPost
from bot.runtime.replies import Reply
from bot.runtime.replies import RoomPost as RoomPost
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


class Phase(StrEnum):
    """Where in the meeting cycle a command is used: `!help` groups by it."""

    BEFORE = "Before the meeting"
    DURING = "In the meeting"
    AFTER = "After the meeting"
    RECORD = "The record"
    PRIVACY = "Privacy"


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
    all_groups: tuple[GroupConfig, ...] = ()  # every group the bot serves (privacy requests)
    # a link to a message of a group's room: (group id, message id) -> URL, or None
    link: Callable[[str, str], str | None] = lambda group_id, message_id: None
    outcome: tuple[str, str] | None = None  # (command, outcome) for the metrics, set by dispatch
    web: WebConfig | None = None  # `[web]`, when the bot has its public server
    mails: bool = False  # `[email]` is configured: a reply's `mails` are sent

    @property
    def alliance(self) -> str | None:
        return self.group.alliance_of(self.sender)

    async def names(self) -> Names:
        """How texts name people in this group (config names, display names)."""
        return await load_names(self.repo, self.group)


Handler = Callable[[CommandContext], Awaitable[Reply]]


@dataclass(frozen=True)
class MessageChange:
    """An edit or a redaction of an earlier message. `ctx.event_id` is the
    original message, `ctx.sender` who changed it; `command` is what an
    edited message now says (`None`: no command, or a redaction)."""

    ctx: CommandContext
    command: tuple[str, str] | None
    at: datetime


# Answers a change of a message this command stored, or None: "not mine".
ChangeHandler = Callable[[MessageChange], Awaitable[Reply | None]]


@dataclass(frozen=True)
class Command:
    """A command as declared once: its `!help` entries, its usage line and
    whether it takes arguments all come from here."""

    name: str
    handler: Handler
    role: Role
    usage: str
    summary: str
    phase: Phase = Phase.BEFORE
    example: str = ""  # a typical use, for `!help <command>`; the usage when it takes nothing
    aliases: tuple[str, ...] = ()
    topic: str = ""  # commands sharing a topic share one `!help` line, which it names
    on_edit: ChangeHandler | None = None
    on_redact: ChangeHandler | None = None

    @property
    def takes_args(self) -> bool:
        """A usage line without a `<…>` or `[…]` placeholder declares no arguments."""
        return "<" in self.usage or "[" in self.usage


class UsageError(Exception):
    """Raised by a handler when arguments are wrong; the router adds usage."""


class Refusal(UsageError):
    """Arguments read, but what they ask cannot be done (nothing changed):
    the message stands alone, without a usage line."""


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
        self,
        name: str,
        *,
        role: Role,
        usage: str,
        summary: str,
        phase: Phase = Phase.BEFORE,
        example: str = "",
        aliases: tuple[str, ...] = (),
        topic: str = "",
        on_edit: ChangeHandler | None = None,
        on_redact: ChangeHandler | None = None,
    ) -> Callable[[Handler], Handler]:
        """Decorator registering a handler under `!name` (and its aliases). A
        command whose messages stay meaningful after sending (an `!update`)
        says what an edit or a redaction of one means; others ignore both."""

        def register(handler: Handler) -> Handler:
            command = Command(
                name, handler, role, usage, summary, phase, example or usage, aliases, topic,
                on_edit, on_redact,
            )  # fmt: skip
            for key in (name, *aliases):
                if key in self._commands:
                    raise ValueError(f"command !{key} registered twice")
                self._commands[key] = command
            return handler

        return register

    def available_to(self, role: Role) -> list[Command]:
        """Each command once (not once per alias), in the order registered."""
        unique = {id(c): c for c in self._commands.values() if c.role <= role}
        return list(unique.values())

    def subcommands(self, name: str) -> list[Command]:
        """`!agenda add`, `!agenda remove` for `agenda`."""
        return [c for key, c in self._commands.items() if key.startswith(f"{name} ")]

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
        # What `/metrics` counts; the core counts it once the transaction committed.
        ctx.outcome = (name if command else "unknown", "failed")
        if command is None:
            ctx.outcome = ("unknown", "unknown")
            return Reply(self.unknown(name))
        if ctx.role < command.role:
            ctx.outcome = (name, "refused")
            return Reply(f"Sorry, `!{name}` is for {command.role.who} only.")
        if ctx.args and not command.takes_args:
            ctx.outcome = (name, "usage")
            return Reply(self._no_arguments(name, ctx.args))
        try:
            reply = await command.handler(ctx)
        except UsageError as exc:
            ctx.outcome = (name, "usage")
            usage = "" if isinstance(exc, Refusal) else f"\n\nUsage: `{command.usage}`"
            return Reply(f"{exc}{usage}")
        ctx.outcome = (name, "ok")
        return reply

    async def dispatch_edit(self, change: MessageChange) -> Reply | None:
        """The first command that claims the edited message answers. An edit
        that turns an unclaimed message into a command accepting edits runs
        that command as if just sent, under the original message's id."""
        for command in self._commands.values():
            if command.on_edit is not None and (reply := await command.on_edit(change)) is not None:
                return reply
        if change.command is None:
            return None
        name, change.ctx.args = self.resolve(*change.command)
        command = self._commands.get(name)
        if command is None or command.on_edit is None:
            return None
        return await self.dispatch(change.ctx, name)

    async def dispatch_redaction(self, change: MessageChange) -> Reply | None:
        """The first command that claims the removed message answers."""
        for command in self._commands.values():
            if command.on_redact is not None:
                reply = await command.on_redact(change)
                if reply is not None:
                    return reply
        return None

    def _no_arguments(self, name: str, args: str) -> str:
        """Nothing is done with words a command would ignore: say so instead."""
        others = [f"`{c.usage}`" for c in self.subcommands(name)]
        also = f" Did you mean {' or '.join(others)}?" if others else ""
        return f"`!{name}` takes no arguments, so I did nothing.{also} Type just `!{name}`."

    def unknown(self, name: str) -> str:
        family = self.subcommands(name)  # `!meeting list`, where `!meeting add` exists
        if family:
            usages = " or ".join(f"`{c.usage}`" for c in family)
            return f"`!{name}` goes with one of its words: {usages}. `!help {name}` says more."
        close = difflib.get_close_matches(name, list(self._commands), n=1, cutoff=0.7)
        hint = f" Did you mean `!{close[0]}`?" if close else ""
        return f"I don't know the command `!{name}`.{hint} Type `!help` for the list."
