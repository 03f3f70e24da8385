"""The small interface between the bot core and a chat network.

Matrix, Teams, and the console for try-outs and tests: each adapter turns
its network's events into `Incoming` and sends `Outgoing` (the whole
contract of a network: `bot.chat.network.Network`). The core
never sees a Matrix type, so a push-based transport (a Teams webhook) fits
as well as a sync loop.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Protocol


class IncomingKind(Enum):
    MESSAGE = "message"
    EDIT = "edit"
    REDACTION = "redaction"
    UNREADABLE = "unreadable"  # an encrypted message the bot could not decrypt
    PROFILE = "profile"  # the name `sender` shows on the network (`body`; "" if none)


@dataclass(frozen=True)
class Incoming:
    """A member's message, an edit of one, the removal of one, or a message the
    bot could not read (then `body` is the notice for the sender, and
    `once_key` what "notify only once" is counted by)."""

    kind: IncomingKind
    event_id: str
    room_id: str
    sender: str
    timestamp: datetime
    body: str = ""
    target_event_id: str | None = None  # the message an edit or redaction is about
    once_key: str | None = None  # UNREADABLE: e.g. a hash of room, sender and session


PRIVATE_PREFIX = "private:"


def private_to(user_id: str) -> str:
    """The `room_id` of a message for one person alone: each network delivers
    it privately (Matrix: a direct room the bot opens with them)."""
    return PRIVATE_PREFIX + user_id


def private_user(room_id: str) -> str | None:
    return room_id[len(PRIVATE_PREFIX) :] if room_id.startswith(PRIVATE_PREFIX) else None


def private_state_key(user_id: str) -> str:
    """Where an adapter may keep its private channel with a person (Matrix:
    the direct room's id) in `bot_state`: a hash, as keys are short."""
    return PRIVATE_PREFIX + hashlib.sha256(user_id.encode()).hexdigest()[:40]


@dataclass(frozen=True)
class OutgoingFile:
    """A file to upload and post (minutes, an .ics calendar)."""

    name: str
    mimetype: str
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class Outgoing:
    """A message the bot sends: plain text plus sanitised HTML, or a file
    (then `body` is its caption and the file name)."""

    room_id: str
    body: str
    html: str
    reply_to: str | None = None
    mentions: tuple[str, ...] = field(default=())
    file: OutgoingFile | None = None
    reaction: str | None = None  # an emoji reaction to `reply_to` instead of a message
    replaces: str | None = None  # edit this earlier message of the bot's instead of posting


class SendError(Exception):
    """A message could not be sent. `permanent` ones are not retried.
    `waiting` ones are not this message's fault (the network cannot reach the
    room yet, e.g. Teams has not told the bot a channel's address): retried
    without counting an attempt, so nothing is given up while it waits."""

    def __init__(
        self, message: str, *, permanent: bool, waiting: bool = False, status: int | None = None
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.waiting = waiting
        self.status = status  # the network's HTTP status, where it gave one


EventHandler = Callable[[Incoming], Awaitable[None]]


class Transport(Protocol):
    async def start(self, on_event: EventHandler) -> None:
        """Connect and deliver incoming events to `on_event` until stopped."""

    async def send(self, message: Outgoing, txn_id: str) -> str:
        """Send once per `txn_id` (retries with the same id must not duplicate);
        return the network's id for the sent message."""

    async def stop(self) -> None:
        """Disconnect; `start` returns soon after."""

    def permalink(self, room_id: str, message_id: str) -> str | None:
        """A link that opens the message in the members' client (None: no link)."""
