"""Writes a reply into the outbox: each message with a transaction id derived
from what caused it, so a resend after a crash is the same message (the
network deduplicates it) and a replayed command queues nothing new.

The reading side, sending what is queued, is `bot.runtime.outbox`.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from bot.chat.transport import private_to
from bot.meeting.render import MAX_CHUNK_CHARS, split_for_messages, to_html, to_plain
from bot.runtime.router import Reply, RoomPost
from storage.repo import Repo
from storage.repo_outbox import PendingMessage


def txn_id_for(key: str, index: int) -> str:
    """Deterministic per reply, so a resend after a crash is deduplicated by the homeserver."""
    digest = hashlib.sha256(f"{key}\0{index}".encode()).hexdigest()[:32]
    return f"allies-{digest}"


async def event_id_of(repo: Repo, key: str) -> str | None:
    """The network's id of the first message queued under `key`, once sent."""
    return await repo.remote_event_id(txn_id_for(key, 0))


def _parts(reply: Reply, room_id: str, home: str, reply_to: str | None) -> list[dict]:
    """The reply's messages in order: text chunks, files, the announcement."""
    chunks = split_for_messages(reply.markdown, MAX_CHUNK_CHARS) if reply.markdown else []
    parts: list[dict] = [
        {
            "body": to_plain(chunk),
            "html": to_html(chunk),
            "reply_to": reply_to,
            "mentions": reply.mentions,
        }
        for chunk in chunks
    ]
    for file in reply.files:
        parts.append(
            {
                "body": file.name,
                "html": "",
                "reply_to": reply_to,
                "mentions": (),
                "file": (file.name, file.mimetype, file.data),
            }
        )
    if reply.announcement is not None:
        parts.append(
            {
                "body": to_plain(reply.announcement),
                "html": to_html(reply.announcement),
                "reply_to": None,
                "mentions": (),
                "room_id": home,
            }
        )
    for part in parts:
        part.setdefault("room_id", room_id)
    return parts


async def queue_reply(
    repo: Repo,
    room_id: str,
    key: str,
    reply: Reply,
    now: datetime,
    *,
    reply_to: str | None = None,
    home: str | None = None,
) -> list[PendingMessage]:
    """Queue a reply's messages in order, each with a txn id derived from
    `key` (an event id, or group/meeting/kind for scheduled posts), and
    return them. The announcement and room posts go to `home` (the group's
    room) when the command came from elsewhere (a private chat)."""
    home = home or room_id
    queued: list[PendingMessage] = []
    if reply.react is not None:
        queued.append(await repo.enqueue(
            txn_id=txn_id_for(f"{key}:react", 0),
            room_id=room_id,
            body="",
            html="",
            reply_to=reply_to,
            mentions=(),
            now=now,
            reaction=reply.react,
        ))  # fmt: skip
    for index, part in enumerate(_parts(reply, room_id, home, reply_to)):
        queued.append(await repo.enqueue(txn_id=txn_id_for(key, index), now=now, **part))
    for post in reply.room_posts:
        queued.append(await _queue_room_post(repo, home, post, now))
    if reply.private_to is not None:
        for post in reply.private_posts:
            queued.append(await _queue_room_post(repo, private_to(reply.private_to), post, now))
    return queued


async def _queue_room_post(
    repo: Repo, room_id: str, post: RoomPost, now: datetime
) -> PendingMessage:
    replaces = None
    if post.replaces_key is not None:
        replaces = await event_id_of(repo, post.replaces_key)
    file = (post.file.name, post.file.mimetype, post.file.data) if post.file else None
    return await repo.enqueue(
        txn_id=txn_id_for(post.txn_key, 0),
        room_id=room_id,
        body=post.file.name if post.file else to_plain(post.markdown),
        html="" if post.file else to_html(post.markdown),
        reply_to=None,
        mentions=(),
        now=now,
        file=file,
        replaces=replaces,
    )
