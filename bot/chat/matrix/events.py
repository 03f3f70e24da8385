"""Pure translation between Matrix event JSON and the core's types.

Kept apart from the network code so the rules (what the bot ignores, how an
edit or a redaction is read, what a reply looks like) are tested without a
homeserver.
"""

from __future__ import annotations

import hashlib
import html
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from bot.chat.transport import Incoming, IncomingKind, Outgoing

HTML_FORMAT = "org.matrix.custom.html"
ENCRYPTED = "m.room.encrypted"
UNDECRYPTABLE_NOTICE = (
    "I could not decrypt your message, so I could not act on it. Please check that your "
    "client shares its keys with my device `{device}`, then send it again."
)
PILL_RE = re.compile(
    r"""<a\s+href=["']https://matrix\.to/#/(?P<user>(?:@|%40)[^"'?/]+)["'][^>]*>(?P<name>.*?)</a>""",
    re.IGNORECASE | re.DOTALL,
)


def strip_reply_fallback(body: str) -> str:
    """Drop the `> <@user> quoted text` lines clients put before a reply, so
    `!update` typed as a reply is still read as a command."""
    if not body.startswith("> "):
        return body
    lines = body.split("\n")
    index = 0
    while index < len(lines) and lines[index].startswith(">"):
        index += 1
    return "\n".join(lines[index:]).lstrip("\n")


def pills_to_ids(body: str, formatted_body: str | None) -> str:
    """Element sends a mention as a pill: its display name in `body`, the user
    id only in the HTML link. Put the id back into the text, so `!action
    <pill> …` names the person whatever their display name."""
    if not formatted_body:
        return body
    for match in PILL_RE.finditer(formatted_body):
        user_id = unquote(match["user"])
        name = html.unescape(re.sub(r"<[^>]+>", "", match["name"])).strip()
        if name and name in body and user_id not in body:
            body = body.replace(name, user_id, 1)
    return body


def _timestamp(source: dict[str, Any]) -> datetime:
    millis = source.get("origin_server_ts") or 0
    return datetime.fromtimestamp(millis / 1000, UTC)


def to_incoming(source: dict[str, Any], room_id: str, own_user: str) -> Incoming | None:
    """The core's view of one timeline event, or None if the bot ignores it:
    its own events, notices (other bots), non-text messages and state."""
    sender = source.get("sender")
    event_id = source.get("event_id")
    if not sender or not event_id or sender == own_user:
        return None
    content = source.get("content") or {}
    base = {
        "event_id": event_id,
        "room_id": room_id,
        "sender": sender,
        "timestamp": _timestamp(source),
    }
    if source.get("type") == "m.room.redaction":
        target = source.get("redacts") or content.get("redacts")
        if not isinstance(target, str):
            return None
        return Incoming(kind=IncomingKind.REDACTION, target_event_id=target, **base)
    if source.get("type") != "m.room.message" or content.get("msgtype") != "m.text":
        return None
    relation = content.get("m.relates_to") or {}
    if relation.get("rel_type") == "m.replace":
        new_content = content.get("m.new_content") or {}
        body = new_content.get("body")
        if not isinstance(body, str) or not isinstance(relation.get("event_id"), str):
            return None
        return Incoming(
            kind=IncomingKind.EDIT, body=body, target_event_id=relation["event_id"], **base
        )
    body = content.get("body")
    if not isinstance(body, str):
        return None
    formatted = content.get("formatted_body")
    body = pills_to_ids(body, formatted if isinstance(formatted, str) else None)
    return Incoming(kind=IncomingKind.MESSAGE, body=strip_reply_fallback(body), **base)


def undecryptable_incoming(
    source: dict[str, Any], room_id: str, own_user: str, device_id: str
) -> Incoming | None:
    """The notice for an encrypted message the bot cannot read, counted once
    per room, sender and Megolm session: one session covers many messages, so
    the sender hears about a key problem once, not once per message."""
    sender = source.get("sender")
    event_id = source.get("event_id")
    if not sender or not event_id or sender == own_user:
        return None
    session = (source.get("content") or {}).get("session_id")
    session = session if isinstance(session, str) else "no session"
    digest = hashlib.sha256(f"{room_id}\0{sender}\0{session}".encode()).hexdigest()[:40]
    return Incoming(
        kind=IncomingKind.UNREADABLE,
        event_id=event_id,
        room_id=room_id,
        sender=sender,
        timestamp=_timestamp(source),
        body=UNDECRYPTABLE_NOTICE.format(device=device_id),
        once_key=digest,
    )


def is_own_join(source: dict[str, Any], own_user: str) -> bool:
    """The bot's own arrival in a room (not a later profile change)."""
    if source.get("type") != "m.room.member" or source.get("state_key") != own_user:
        return False
    content = source.get("content") or {}
    previous = (source.get("unsigned") or {}).get("prev_content") or {}
    return content.get("membership") == "join" and previous.get("membership") != "join"


def _finish(message: Outgoing, content: dict[str, Any]) -> dict[str, Any]:
    """Thread as a reply, or wrap as an edit (`m.replace`) of an earlier message."""
    if message.replaces:
        star = {**content, "body": f"* {content['body']}"}
        if "formatted_body" in content:
            star["formatted_body"] = f"* {content['formatted_body']}"
        new_content = {k: v for k, v in content.items() if k != "m.mentions"}
        return {
            **star,
            "m.new_content": new_content,
            "m.relates_to": {"rel_type": "m.replace", "event_id": message.replaces},
        }
    if message.reply_to:
        content["m.relates_to"] = {"m.in_reply_to": {"event_id": message.reply_to}}
    return content


def file_content(
    message: Outgoing, content_uri: str, decryption: dict[str, Any] | None = None
) -> dict[str, Any]:
    """An `m.file` (`m.image` for a picture, which clients show inline) event
    for an uploaded file, threaded like any reply. In an
    encrypted room the upload is ciphertext: the event then carries the key,
    IV and hash (`file`) instead of a plain `url`, so only members can read it."""
    assert message.file is not None
    content: dict[str, Any] = {
        "msgtype": "m.image" if message.file.mimetype.startswith("image/") else "m.file",
        "body": message.file.name,
        "filename": message.file.name,
        "info": {"mimetype": message.file.mimetype, "size": len(message.file.data)},
        "m.mentions": {},
    }
    if decryption is None:
        content["url"] = content_uri
    else:
        keys = {k: decryption[k] for k in ("key", "iv", "hashes", "v")}
        content["file"] = {"url": content_uri, "mimetype": message.file.mimetype, **keys}
    return _finish(message, content)


def reaction_content(message: Outgoing) -> dict[str, Any]:
    """A small acknowledgement instead of a reply, for items recorded live."""
    relation = {"rel_type": "m.annotation", "event_id": message.reply_to, "key": message.reaction}
    return {"m.relates_to": relation}


def message_content(message: Outgoing) -> dict[str, Any]:
    """An `m.notice` with plain and HTML bodies, threaded as a reply, and an
    explicit `m.mentions` so nothing a member wrote can ping `@room`."""
    content: dict[str, Any] = {
        "msgtype": "m.notice",
        "body": message.body,
        "format": HTML_FORMAT,
        "formatted_body": message.html,
        "m.mentions": {"user_ids": list(message.mentions)} if message.mentions else {},
    }
    return _finish(message, content)
