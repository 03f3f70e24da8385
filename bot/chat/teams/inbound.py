"""An activity from Teams as the core's `Incoming`.

Message ids are `MessageRef`s (conversation incl. thread, activity id), so
a reply finds its thread and an edit its message with nothing else stored.
A personal chat with the bot is a private channel (`private:<address>`):
the core answers there as the sender's group. Edits and deletions Teams
sends as `messageUpdate` / `messageDelete` with the message's own id.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from microsoft_agents.activity import Activity

from bot.chat.teams.ids import MessageRef, base_conversation
from bot.chat.teams.text import command_text
from bot.chat.transport import Incoming, IncomingKind, private_to

MESSAGE, UPDATE, DELETE = "message", "messageUpdate", "messageDelete"


def is_personal(activity: Activity) -> bool:
    conversation = activity.conversation
    kind = (getattr(conversation, "conversation_type", None) or "").lower()
    return kind == "personal" or (kind == "" and not getattr(conversation, "is_group", False))


def tenant_of(activity: Activity) -> str:
    """The tenant an activity comes from (channel data first, as Teams sends it)."""
    channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = channel_data.get("tenant")
    tenant = tenant.get("id") if isinstance(tenant, dict) else None
    return str(tenant or activity.conversation.tenant_id or "")


def when(activity: Activity) -> datetime:
    stamp = activity.timestamp
    if isinstance(stamp, datetime):
        return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
    return datetime.now(UTC)


def to_incoming(
    activity: Activity, sender: str, people: dict[str, str], bot_id: str
) -> Incoming | None:
    """The event for the core, or None for an activity it has no use for.
    `people` maps the Teams ids mentioned in it to person ids."""
    if activity.type not in (MESSAGE, UPDATE, DELETE) or not activity.id:
        return None
    conversation = activity.conversation.id
    room = private_to(sender) if is_personal(activity) else base_conversation(conversation)
    ref = MessageRef(conversation, activity.id).encode()
    entities = [e.model_dump(by_alias=True) for e in activity.entities or ()]
    body = command_text(activity.text or "", entities, bot_id, people)
    common = {"room_id": room, "sender": sender, "timestamp": when(activity)}
    if activity.type == MESSAGE:
        return Incoming(IncomingKind.MESSAGE, ref, body=body, **common)
    if activity.type == UPDATE:
        # one id per edit (a redelivery of it is the same edit; A, B, A again is not)
        stamp = activity.timestamp.isoformat() if isinstance(activity.timestamp, datetime) else ""
        version = hashlib.sha256(f"{stamp}\0{body}".encode()).hexdigest()[:16]
        return Incoming(
            IncomingKind.EDIT, f"{ref}|edit-{version}", body=body, target_event_id=ref, **common
        )
    return Incoming(IncomingKind.REDACTION, f"{ref}|delete", target_event_id=ref, **common)
