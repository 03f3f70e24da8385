"""The bot core: turns incoming events into stored effects and queued replies.

Each command runs in one database transaction that also records the event
id as processed and queues the reply in the outbox. Replaying an event (a
restart, a sync retry) therefore changes nothing and answers nothing twice;
the outbox sender delivers queued replies after commit.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from bot.chat.transport import (
    Incoming,
    IncomingKind,
    private_state_key,
    private_to,
    private_user,
)
from bot.config import GroupConfig
from bot.meeting.people import clean_display_name
from bot.meeting.render import MAX_CHUNK_CHARS, split_for_messages, to_html, to_plain
from bot.ops.metrics import COMMANDS, UNDECRYPTABLE
from bot.runtime.outbox import OutboxSender
from bot.runtime.router import (
    CommandContext,
    MessageChange,
    Reply,
    Role,
    RoomPost,
    Router,
    parse_command,
    role_of,
)
from storage.db import Storage
from storage.repo import Repo

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
FAILURE_REPLY = "Sorry, something went wrong handling that command. The chairs can check the log."


def utc_now() -> datetime:
    return datetime.now(UTC)


def txn_id_for(event_id: str, index: int) -> str:
    """Deterministic per reply, so a resend after a crash is deduplicated by the homeserver."""
    digest = hashlib.sha256(f"{event_id}\0{index}".encode()).hexdigest()[:32]
    return f"allies-{digest}"


class BotCore:
    def __init__(
        self, storage: Storage, router: Router, outbox: OutboxSender, clock: Clock = utc_now
    ) -> None:
        self.storage = storage
        self.router = router
        self.outbox = outbox
        self.clock = clock
        self.rooms: dict[str, GroupConfig] = {}
        # called after a command changed a group's calendar (the scheduler listens)
        self.calendar_listeners: list[Callable[[GroupConfig], Awaitable[None]]] = []

    def bind_room(self, room_id: str, group: GroupConfig) -> None:
        """Tell the core which room (resolved id) belongs to which group."""
        self.rooms[room_id] = group

    def group_for(self, room_id: str, sender: str) -> GroupConfig | None:
        """The group a room belongs to; for a private chat with the bot (a
        Teams personal chat), the group where the sender's role is highest
        (the first of those), so a chair of one group is a chair there."""
        group = self.rooms.get(room_id)
        if group is not None or private_user(room_id) != sender:
            return group
        ranked = [(role_of(g, sender), -i, g) for i, g in enumerate(self.rooms.values())]
        best = max(ranked, key=lambda item: (item[0], item[1]), default=None)
        return best[2] if best is not None and best[0] > Role.OUTSIDER else None

    def home_room(self, room_id: str, group: GroupConfig) -> str:
        """Where a group's own posts go (minutes, announcements): its room,
        also for a command typed in a private chat with the bot."""
        if self.rooms.get(room_id) is group:
            return room_id
        return next((r for r, g in self.rooms.items() if g is group), room_id)

    async def handle(self, event: Incoming) -> None:
        group = self.group_for(event.room_id, event.sender)
        if group is None:
            return
        if event.kind is IncomingKind.MESSAGE:
            await self._on_message(group, event)
        elif event.kind in (IncomingKind.EDIT, IncomingKind.REDACTION):
            await self._on_change(group, event)
        elif event.kind is IncomingKind.UNREADABLE:
            await self._on_unreadable(event)
        elif event.kind is IncomingKind.PROFILE:
            await self._on_profile(event)
            return  # nothing to answer
        self.outbox.wake()

    async def _on_message(self, group: GroupConfig, event: Incoming) -> None:
        parsed = parse_command(event.body)
        if parsed is None:
            return
        name, args = parsed
        log.info("command !%s from %s in %s (%s)", name, event.sender, group.id, event.event_id)
        changed = False

        outcome: tuple[str, str] | None = None

        async def work(repo: Repo) -> None:
            nonlocal changed, outcome
            if await repo.is_processed(event.event_id):
                log.info("already handled %s, ignoring", event.event_id)
                return
            ctx = self._context(group, event, args, repo, event.event_id)
            try:
                reply = await self.router.dispatch(ctx, name)
            finally:
                outcome = ctx.outcome
            await self._finish(repo, event, "command", reply, group=group)
            changed = ctx.calendar_changed

        await self._run_safely(work, event)
        if outcome is not None:  # counted once, after the commit (a retried attempt is not)
            COMMANDS.labels(*outcome).inc()
        if changed:
            for listener in self.calendar_listeners:
                await listener(group)

    async def _on_change(self, group: GroupConfig, event: Incoming) -> None:
        """What an edit or a redaction means is the business of the command the
        message was (the router asks). An edit's reply goes to the original
        message; a redaction's stands alone (its message is gone)."""
        target = event.target_event_id or ""
        edit = event.kind is IncomingKind.EDIT
        parsed = parse_command(event.body) if edit else None
        dispatch = self.router.dispatch_edit if edit else self.router.dispatch_redaction

        async def work(repo: Repo) -> None:
            if await repo.is_processed(event.event_id):
                return
            ctx = self._context(group, event, "", repo, target)
            reply = await dispatch(MessageChange(ctx, parsed, event.timestamp))
            if reply is not None:
                kind, reply_to = ("edit", target) if edit else ("redaction", None)
                await self._finish(repo, event, kind, reply, reply_to=reply_to, group=group)

        await self._run_safely(work, event)

    async def _on_unreadable(self, event: Incoming) -> None:
        """Tell the sender once per `once_key` (a marker that survives restarts),
        never once per message: a key problem would otherwise be a flood. The
        event is not marked processed, so if its key arrives later it is
        still read and answered."""
        marker = f"undecryptable:{event.once_key}"
        UNDECRYPTABLE.inc()

        async def work(repo: Repo) -> None:
            if await repo.get_state(marker) is not None:
                log.info("unreadable %s: sender already told, no new notice", event.event_id)
                return
            await repo.set_state(marker, event.event_id)
            reply = Reply(event.body, mentions=(event.sender,))
            key = f"{event.event_id}:unreadable"
            await self.queue(repo, event.room_id, key, reply, reply_to=event.event_id)

        await self.storage.run_in_transaction(work)

    async def _on_profile(self, event: Incoming) -> None:
        """Remember how the network names a person (texts show names, not ids)."""
        name = clean_display_name(event.body)

        async def work(repo: Repo) -> None:
            await repo.remember_display_name(event.sender, name, self.clock())

        await self.storage.run_in_transaction(work)

    def _context(
        self, group: GroupConfig, event: Incoming, args: str, repo: Repo, event_id: str
    ) -> CommandContext:
        return CommandContext(
            group=group,
            sender=event.sender,
            role=role_of(group, event.sender),
            args=args,
            event_id=event_id,
            room_id=event.room_id,
            now=self.clock(),
            repo=repo,
            router=self.router,
            all_groups=tuple({g.id: g for g in self.rooms.values()}.values()),
        )

    async def _finish(
        self,
        repo: Repo,
        event: Incoming,
        kind: str,
        reply: Reply,
        *,
        reply_to: str | None = "",
        group: GroupConfig | None = None,
    ) -> None:
        """Record the event as processed and queue the reply, same transaction.
        A private chat's marker names it by its hash: its room id holds the
        person's address (Teams), which no marker should keep."""
        person = private_user(event.room_id)
        marker_room = private_state_key(person) if person is not None else event.room_id
        await repo.mark_processed(event.event_id, marker_room, kind, self.clock())
        target = event.event_id if reply_to == "" else reply_to
        home = self.home_room(event.room_id, group) if group is not None else None
        await self.queue(repo, event.room_id, event.event_id, reply, reply_to=target, home=home)

    async def queue(
        self,
        repo: Repo,
        room_id: str,
        key: str,
        reply: Reply,
        *,
        reply_to: str | None = None,
        home: str | None = None,
    ) -> None:
        """Queue a reply's messages in order, each with a txn id derived from
        `key` (an event id, or group/meeting/kind for scheduled posts). The
        announcement and room posts go to `home` (the group's room) when the
        command came from elsewhere (a private chat)."""
        home = home or room_id
        now = self.clock()
        if reply.react is not None:
            await repo.enqueue(
                txn_id=txn_id_for(f"{key}:react", 0),
                room_id=room_id,
                body="",
                html="",
                reply_to=reply_to,
                mentions=(),
                now=now,
                reaction=reply.react,
            )
        parts: list[dict] = [
            {
                "body": to_plain(chunk),
                "html": to_html(chunk),
                "reply_to": reply_to,
                "mentions": reply.mentions,
            }
            for chunk in (
                split_for_messages(reply.markdown, MAX_CHUNK_CHARS) if reply.markdown else []
            )
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
        for index, part in enumerate(parts):
            part.setdefault("room_id", room_id)
            await repo.enqueue(txn_id=txn_id_for(key, index), now=now, **part)
        for post in reply.room_posts:
            await self._queue_room_post(repo, home, post, now)
        if reply.private_to is not None:
            for post in reply.private_posts:
                await self._queue_room_post(repo, private_to(reply.private_to), post, now)

    async def _queue_room_post(self, repo: Repo, room_id: str, post: RoomPost, now) -> None:
        replaces = None
        if post.replaces_key is not None:
            replaces = await repo.remote_event_id(txn_id_for(post.replaces_key, 0))
        file = (post.file.name, post.file.mimetype, post.file.data) if post.file else None
        await repo.enqueue(
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

    async def _run_safely(self, work, event: Incoming) -> None:
        """A failing handler must not kill the bot or leave half-written data:
        its transaction rolls back and the sender gets a short apology."""
        try:
            await self.storage.run_in_transaction(work)
        except Exception:
            log.exception("handling %s failed; rolled back", event.event_id)

            async def apologise(repo: Repo) -> None:
                if not await repo.is_processed(event.event_id):
                    await self._finish(repo, event, "failed", Reply(FAILURE_REPLY))

            # If even this fails the database is unusable: let it propagate so
            # the transport retries the batch later instead of losing the event.
            await self.storage.run_in_transaction(apologise)
