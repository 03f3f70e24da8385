"""What a handler answers (`Reply`), and the posts and mails a reply may
bring with it. Importable from `bot.runtime.router` as before."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.calendar.cadence import Meeting
from bot.chat.transport import OutgoingFile


@dataclass(frozen=True)
class RoomPost:
    """A message to the room on its own (not a reply). `txn_key` names it for
    good; `replaces_key` names an earlier post of ours to edit instead."""

    markdown: str
    txn_key: str
    file: OutgoingFile | None = None
    replaces_key: str | None = None


@dataclass(frozen=True)
class MailPost:
    """A mail a post asks for, where `[email]` is configured: to the group's
    list, or personally to `people` (roster ids). `bot.runtime.mailer` finds
    the addresses and skips whoever has none; `key` names the post for good
    (each recipient's Message-ID is derived from it); `meeting` is what the
    mail is about (its thread, its invitation, what a reply's update is for)."""

    kind: str  # agenda, minutes, chase, due or signin
    group_id: str
    key: str
    subject: str
    markdown: str  # member text already escaped, as for chat
    meeting: Meeting | None = None
    people: tuple[str, ...] = ()
    invitation: bool = False  # attach the meeting as an invitation (the agenda)
    # the person asked for it (`!web email`): sent despite quiet, no opt-out link
    asked: bool = False


@dataclass(frozen=True)
class Reply:
    """What a handler answers: Markdown (member text already escaped), plus
    optionally files sent with it and an announcement posted to the room on
    its own (not as a reply), e.g. "the meeting on … is cancelled"."""

    markdown: str
    mentions: tuple[str, ...] = ()
    files: tuple[OutgoingFile, ...] = ()
    announcement: str | None = None
    react: str | None = None  # acknowledge with a reaction (markdown may then be "")
    room_posts: tuple[RoomPost, ...] = ()
    # sent to this person alone (`bot.chat.transport.private_to`), not into the room
    private_posts: tuple[RoomPost, ...] = ()
    private_to: str | None = None
    # The slow part of a command that stores nothing (a report's charts and
    # files): run after its transaction, so nobody waits on a lock meanwhile;
    # what it returns is the reply. A command that stores something must not
    # use it: its effect and its reply are recorded together.
    finish: Callable[[], Awaitable[Reply]] | None = None
    mails: tuple[MailPost, ...] = ()  # mails queued with the reply (`bot.runtime.mailer`)
