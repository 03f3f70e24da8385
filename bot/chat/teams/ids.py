"""What the core calls a message id, for a message in Teams.

Teams needs two things to answer or edit a message: the conversation it is
in (for a channel: the thread, `19:…@thread.tacv2;messageid=<root>`) and the
activity id. The core only keeps one opaque id per message (`event_id`,
`reply_to`, `replaces`), so the adapter packs both into it; the id then
means the same after a restart, with nothing else to look up.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote

from bot.chat.transport import private_user

SEPARATOR = "|"
THREAD_MARK = ";messageid="


@dataclass(frozen=True)
class MessageRef:
    conversation: str  # where the message is (a thread of a channel, a chat)
    activity_id: str

    def encode(self) -> str:
        return f"{self.conversation}{SEPARATOR}{self.activity_id}"

    @property
    def channel(self) -> str:
        """The conversation without its thread part: the channel or chat."""
        return base_conversation(self.conversation)

    @property
    def thread(self) -> str:
        """The thread this message is in, or starts (a channel's root post
        is the root of its own thread)."""
        if THREAD_MARK in self.conversation or not self.conversation.startswith("19:"):
            return self.conversation
        if not self.conversation.endswith(("@thread.tacv2", "@thread.skype")):
            return self.conversation  # a group chat: no threads
        return f"{self.conversation}{THREAD_MARK}{self.activity_id}"


def decode(value: str) -> MessageRef | None:
    """The message an id names; what the adapter appends to an event's id
    (`|edit-…`, `|delete`) names the same message."""
    conversation, sep, rest = value.partition(SEPARATOR)
    activity_id = rest.split(SEPARATOR, 1)[0]
    if not sep or not conversation or not activity_id:
        return None
    return MessageRef(conversation, activity_id)


def base_conversation(conversation_id: str) -> str:
    return conversation_id.split(THREAD_MARK, 1)[0]


def message_link(message_id: str) -> str | None:
    """A Teams deep link that opens a channel message (None for an id that is
    not a message of ours)."""
    ref = decode(message_id)
    if ref is None:
        return None
    return f"https://teams.microsoft.com/l/message/{quote(ref.channel)}/{ref.activity_id}"


def is_teams_room(room_id: str, channels: Iterable[str]) -> bool:
    """A served channel, or a person's private chat by e-mail address (Matrix
    private rooms are by `@user` ids)."""
    person = private_user(room_id)
    return room_id in channels or (person is not None and not person.startswith("@"))
