"""The bot core: turns incoming events into stored effects and queued replies.

Each command runs in one database transaction that also records the event
id as processed and queues the reply in the outbox. Replaying an event (a
restart, a sync retry) therefore changes nothing and answers nothing twice;
once the transaction has committed, the queued replies are handed to the
outbox sender as they were written (it reads back only what it did not see).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING

from bot.chat.transport import (
    Incoming,
    IncomingKind,
    private_state_key,
    private_user,
)
from bot.config import GroupConfig
from bot.config.directory import Directory, GroupDirectory
from bot.config.web import WebConfig
from bot.ops.metrics import COMMANDS
from bot.runtime.notices import remember_profile, tell_unreadable
from bot.runtime.outbox import OutboxSender
from bot.runtime.outbox_writer import queue_reply
from bot.runtime.router import (
    CommandContext,
    MessageChange,
    Reply,
    Role,
    Router,
    parse_command,
    role_of,
)
from storage.db import Storage
from storage.errors import worth_retrying
from storage.repo import Repo

if TYPE_CHECKING:
    from bot.runtime.mailer import Mailer

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
FAILURE_REPLY = "Sorry, something went wrong handling that command. The chairs can check the log."


def utc_now() -> datetime:
    return datetime.now(UTC)


class BotCore:
    def __init__(
        self,
        storage: Storage,
        router: Router,
        outbox: OutboxSender,
        clock: Clock = utc_now,
        directory: Directory | None = None,
    ) -> None:
        self.storage = storage
        self.router = router
        self.outbox = outbox
        self.clock = clock
        self.directory = directory or Directory()
        self.web: WebConfig | None = None  # `[web]`: set by the wiring when configured
        self.mailer: Mailer | None = None  # `[email]`: queues the mails a reply asks for
        self.record_changes = 0  # rises with anything that may change the stored record
        # called with a group's id after a command changed its calendar (the scheduler listens)
        self.calendar_listeners: list[Callable[[str], Awaitable[None]]] = []

    @property
    def groups(self) -> GroupDirectory:
        """The group directory in force (swapped whole on reload)."""
        return self.directory.current

    def bind_room(self, room_id: str, group: GroupConfig) -> None:
        """Serve `group` (also) in `room_id` (tests, the console)."""
        self.directory.swap(self.groups.bound(room_id, group))

    def group_for(self, room_id: str, sender: str) -> GroupConfig | None:
        """The group a room belongs to; for a private chat with the bot (a
        Teams personal chat), the group where the sender's role is highest
        (the first of those), so a chair of one group is a chair there."""
        group = self.groups.of_room(room_id)
        if group is not None or private_user(room_id) != sender:
            return group
        ranked = [(role_of(g, sender), -i, g) for i, g in enumerate(self.groups.served())]
        best = max(ranked, key=lambda item: (item[0], item[1]), default=None)
        return best[2] if best is not None and best[0] > Role.OUTSIDER else None

    def link(self, group_id: str, message_id: str) -> str | None:
        """A link that opens a message of the group's room, as its network builds it."""
        room = self.groups.room_of(group_id)
        transport = self.outbox.transport
        return transport.permalink(room, message_id) if room and transport else None

    def record_changed(self) -> None:
        """Something may have changed what is stored (a command, a mail read,
        the retention): what is built from the record must be built again."""
        self.record_changes += 1

    async def handle(self, event: Incoming) -> None:
        group = self.group_for(event.room_id, event.sender)
        if group is None:
            return
        if event.kind is IncomingKind.MESSAGE:
            await self._on_message(group, event)
        elif event.kind in (IncomingKind.EDIT, IncomingKind.REDACTION):
            await self._on_change(group, event)
        elif event.kind is IncomingKind.UNREADABLE:
            await tell_unreadable(self, event)
        elif event.kind is IncomingKind.PROFILE:
            await remember_profile(self, event)
            return  # nothing to answer
        self.record_changed()  # the reply, if any, reached the sender by `queue`

    async def _on_message(self, group: GroupConfig, event: Incoming) -> None:
        parsed = parse_command(event.body)
        if parsed is None:
            return
        name, args = parsed
        log.info("command !%s from %s in %s (%s)", name, event.sender, group.id, event.event_id)
        changed = False
        outcome: tuple[str, str] | None = None
        later: Reply | None = None  # a reply whose slow part runs after the transaction

        async def work(repo: Repo) -> None:
            nonlocal changed, outcome, later
            if await repo.is_processed(event.event_id):
                log.info("already handled %s, ignoring", event.event_id)
                return
            ctx = self._context(group, event, args, repo, event.event_id)
            try:
                reply = await self.router.dispatch(ctx, name)
            finally:
                outcome = ctx.outcome
            if reply.finish is not None:
                later = reply
                return
            await self._finish(repo, event, "command", reply, group=group)
            changed = ctx.calendar_changed

        await self._run_safely(work, event)
        if later is not None:
            await self._finish_later(group, event, later)
        if outcome is not None:  # counted once, after the commit (a retried attempt is not)
            COMMANDS.labels(*outcome).inc()
        if changed:
            for listener in self.calendar_listeners:
                await listener(group.id)

    async def _finish_later(self, group: GroupConfig, event: Incoming, reply: Reply) -> None:
        """A command that stores nothing finishes outside its transaction (a
        report's charts take seconds); the event is then recorded as handled
        with the reply, in a second short transaction. A crash in between
        only means the command is answered after the restart."""
        assert reply.finish is not None
        try:
            final = await reply.finish()
        except Exception:
            log.exception("finishing %s failed", event.event_id)
            final = Reply(FAILURE_REPLY)

        async def record(repo: Repo) -> None:
            if not await repo.is_processed(event.event_id):
                await self._finish(repo, event, "command", final, group=group)

        await self._run_safely(record, event)

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
            all_groups=self.groups.served(),
            link=self.link,
            web=self.web,
            mails=self.mailer is not None,
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
        home = self.groups.home_of(event.room_id, group.id) if group is not None else None
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
        """Queue a reply's messages (`bot.runtime.outbox_writer.queue_reply`)
        and, where mail is configured, the mails it asks for, same transaction."""
        queued = await queue_reply(
            repo, room_id, key, reply, self.clock(), reply_to=reply_to, home=home
        )
        repo.committed.append(partial(self.outbox.hand_over, queued))
        if reply.mails and self.mailer is not None:
            await self.mailer.queue(repo, reply.mails, self.clock())

    async def _run_safely(self, work, event: Incoming) -> None:
        """A failing handler must not kill the bot or leave half-written data:
        its transaction rolls back and the sender gets a short apology. A
        database out of reach is not the handler's failure: the error goes to
        the transport, which brings the event again (a Matrix sync batch is
        retried, Teams redelivers on a 500), and nobody is told "sorry" for a
        command that will still be done."""
        try:
            await self.storage.run_in_transaction(work)
        except Exception as exc:
            if worth_retrying(exc):  # nothing was done: the transport brings it again
                log.warning(
                    "database locked or out of reach handling %s; it comes again", event.event_id
                )
                raise
            log.exception("handling %s failed; rolled back", event.event_id)

            async def apologise(repo: Repo) -> None:
                if not await repo.is_processed(event.event_id):
                    await self._finish(repo, event, "failed", Reply(FAILURE_REPLY))

            # If even this fails the database is unusable: let it propagate so
            # the transport retries the batch later instead of losing the event.
            await self.storage.run_in_transaction(apologise)
