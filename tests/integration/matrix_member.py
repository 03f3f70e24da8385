"""A scripted human room member for integration tests, backed by matrix-nio.

Tests need to act like people (send, reply, edit, redact) and then observe what
the bot did. A background sync loop records every timeline event, so checks are
plain reads of that record ("was this answered exactly once?") and waits just
poll it instead of racing the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from typing import Any

from nio import AsyncClient, AsyncClientConfig, ErrorResponse, LoginResponse, SyncResponse

log = logging.getLogger(__name__)

Event = dict[str, Any]

# Generous timeline limit: a "limited" sync would silently drop events and make
# "exactly once" assertions lie.  Presence/account data are noise for us.
SYNC_FILTER: dict[str, Any] = {
    "room": {"timeline": {"limit": 1000}, "state": {"lazy_load_members": True}},
    "presence": {"not_types": ["*"]},
    "account_data": {"not_types": ["*"]},
}
SYNC_POLL_MS = 250


class MatrixError(RuntimeError):
    """A client API call was refused; carries Synapse's errcode/message."""


def _ok(resp: Any, what: str) -> Any:
    if isinstance(resp, ErrorResponse):
        raise MatrixError(f"{what} failed: {resp.status_code} {resp.message}")
    return resp


def reply_target(event: Event) -> str | None:
    """Event id an m.room.message replies to (rich reply), or None."""
    relates = event.get("content", {}).get("m.relates_to") or {}
    in_reply_to = relates.get("m.in_reply_to") or {}
    target = in_reply_to.get("event_id")
    return target if isinstance(target, str) else None


class MatrixMember:
    """One logged-in test user with a recorded view of its rooms' timelines."""

    encrypted = False  # EncryptedMember (encrypted_member.py) encrypts like Element

    def __init__(self, homeserver: str, user_id: str, password: str) -> None:
        config = AsyncClientConfig(
            encryption_enabled=self.encrypted,
            store_sync_tokens=False,
            max_timeout_retry_wait_time=2,  # recover fast after a Synapse restart
            request_timeout=30,
        )
        self.user_id = user_id
        self.password = password
        self.client = self._make_client(homeserver, user_id, config)
        self.timeline: dict[str, list[Event]] = {}  # every timeline event, per room
        self.invites: set[str] = set()
        self.gaps: set[str] = set()  # rooms whose sync was "limited" (events missed)
        self._seen: set[str] = set()
        self._syncs = 0
        self._changed = asyncio.Condition()
        self._sync_task: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return f"MatrixMember({self.user_id})"

    def _make_client(self, homeserver: str, user_id: str, config: AsyncClientConfig) -> AsyncClient:
        return AsyncClient(homeserver, user_id, config=config)

    # -- lifecycle ---------------------------------------------------------

    async def login(self) -> None:
        """Password login (a real device, like a person's client) + start syncing."""
        resp = await self.client.login(self.password, device_name="allies-test-member")
        if not isinstance(resp, LoginResponse):
            raise MatrixError(f"login of {self.user_id} failed: {resp}")
        await self._sync_once(timeout_ms=0)
        self._sync_task = asyncio.create_task(self._sync_loop(), name=f"sync {self.user_id}")

    async def close(self) -> None:
        if self._sync_task is not None:
            self._sync_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sync_task
            self._sync_task = None
        await self.client.close()

    async def _sync_loop(self) -> None:
        while True:
            try:
                await self._sync_once(timeout_ms=SYNC_POLL_MS)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # keep syncing across Synapse restarts
                log.debug("%s: sync failed: %r", self.user_id, exc)
                await asyncio.sleep(0.2)

    async def _sync_once(self, timeout_ms: int) -> None:
        resp = await self.client.sync(
            timeout=timeout_ms, sync_filter=SYNC_FILTER, since=self.client.next_batch
        )
        if not isinstance(resp, SyncResponse):
            await asyncio.sleep(0.2)
            return
        for room_id, room in resp.rooms.join.items():
            if room.timeline.limited and self.client.next_batch and room_id in self.timeline:
                log.warning("%s: limited timeline in %s, events missed", self.user_id, room_id)
                self.gaps.add(room_id)
            self._record(room_id, room.timeline.events)
        self.invites.update(resp.rooms.invite)
        await self._after_sync()
        async with self._changed:
            self._syncs += 1
            self._changed.notify_all()

    async def _after_sync(self) -> None:
        """Hook for work between syncs (an encrypting member's key upkeep)."""

    def _record(self, room_id: str, timeline: Iterable[Any]) -> None:
        events = self.timeline.setdefault(room_id, [])
        for event in timeline:
            source = getattr(event, "source", None)
            if not source or source.get("event_id") in self._seen:
                continue
            self._seen.add(source["event_id"])
            events.append(source)

    # -- acting like a person ------------------------------------------------

    async def create_room(
        self,
        name: str,
        invite: Iterable[str] = (),
        power_levels: dict[str, Any] | None = None,
        *,
        encrypted: bool = False,
    ) -> str:
        """Private room; ``power_levels`` overrides e.g. {"users": {bot: 50}};
        ``encrypted`` creates it the way Element does by default."""
        initial_state = []
        if encrypted:
            algorithm = {"algorithm": "m.megolm.v1.aes-sha2"}
            initial_state.append(
                {"type": "m.room.encryption", "state_key": "", "content": algorithm}
            )
        resp = await self.client.room_create(
            name=name,
            invite=list(invite),
            power_level_override=power_levels,
            initial_state=initial_state,
        )
        return str(_ok(resp, "create_room").room_id)

    async def invite(self, room_id: str, user_id: str) -> None:
        _ok(await self.client.room_invite(room_id, user_id), "invite")

    async def join(self, room_id: str) -> None:
        _ok(await self.client.join(room_id), "join")

    async def leave(self, room_id: str) -> None:
        _ok(await self.client.room_leave(room_id), "leave")

    async def send(
        self, room_id: str, content: dict[str, Any], event_type: str = "m.room.message"
    ) -> str:
        """Send arbitrary content; returns the new event id."""
        resp = await self.client.room_send(room_id, event_type, content)
        return str(_ok(resp, f"send {event_type}").event_id)

    async def send_text(self, room_id: str, body: str, reply_to: str | None = None) -> str:
        """Plain text message, optionally a rich reply to ``reply_to``."""
        content: dict[str, Any] = {"msgtype": "m.text", "body": body}
        if reply_to is not None:
            content["m.relates_to"] = {"m.in_reply_to": {"event_id": reply_to}}
        return await self.send(room_id, content)

    async def edit(self, room_id: str, event_id: str, new_body: str) -> str:
        """Edit via m.replace, shaped like Element's edits."""
        new_content = {"msgtype": "m.text", "body": new_body}
        content = {
            "msgtype": "m.text",
            "body": f"* {new_body}",
            "m.new_content": new_content,
            "m.relates_to": {"rel_type": "m.replace", "event_id": event_id},
        }
        return await self.send(room_id, content)

    async def react(self, room_id: str, event_id: str, key: str) -> str:
        relates = {"rel_type": "m.annotation", "event_id": event_id, "key": key}
        return await self.send(room_id, {"m.relates_to": relates}, event_type="m.reaction")

    async def redact(self, room_id: str, event_id: str, reason: str | None = None) -> str:
        resp = await self.client.room_redact(room_id, event_id, reason=reason)
        return str(_ok(resp, "redact").event_id)

    # -- observing ---------------------------------------------------------

    def cursor(self, room_id: str) -> int:
        """Position in the record; pass as ``since`` to only see later events."""
        return len(self.timeline.get(room_id, []))

    def messages(self, room_id: str, since: int = 0) -> list[Event]:
        """Recorded m.room.message events (any sender), in timeline order."""
        events = self.timeline.get(room_id, [])[since:]
        return [ev for ev in events if ev.get("type") == "m.room.message"]

    def events_from(self, sender: str, room_id: str, since: int = 0) -> list[Event]:
        """Recorded m.room.message events sent by ``sender``."""
        return [ev for ev in self.messages(room_id, since) if ev.get("sender") == sender]

    def replies_to(self, room_id: str, event_id: str) -> list[Event]:
        """Messages by others replying to ``event_id``: count them for "exactly once"."""
        return [
            ev
            for ev in self.messages(room_id)
            if reply_target(ev) == event_id and ev.get("sender") != self.user_id
        ]

    def redacted_ids(self, room_id: str) -> set[str]:
        """Ids of events redacted in ``room_id`` (the recorded originals stay as sent)."""
        ids: set[str] = set()
        for ev in self.timeline.get(room_id, []):
            if ev.get("type") == "m.room.redaction":
                # top-level "redacts" before room v11, content.redacts from v11 on
                target = ev.get("redacts") or ev.get("content", {}).get("redacts")
                if isinstance(target, str):
                    ids.add(target)
        return ids

    async def wait_for(
        self, room_id: str, predicate: Callable[[Event], bool], timeout: float = 10.0
    ) -> Event:
        """First recorded event in ``room_id`` matching ``predicate``."""

        def find() -> Event | None:
            return next((ev for ev in self.timeline.get(room_id, []) if predicate(ev)), None)

        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(lambda: find() is not None), timeout)
            except TimeoutError:
                seen = [(ev.get("type"), ev.get("sender")) for ev in self.timeline.get(room_id, [])]
                raise TimeoutError(
                    f"{self.user_id}: no matching event in {room_id} after {timeout}s; "
                    f"recorded: {seen}"
                ) from None
        found = find()
        assert found is not None
        return found

    async def ask(self, room_id: str, body: str, timeout: float = 10.0) -> Event:
        """Send `body` and wait for someone's reply to it (a command and its answer)."""
        return await self.wait_for_reply(room_id, await self.send_text(room_id, body), timeout)

    async def send_and_wait_reaction(self, room_id: str, body: str, by: str) -> Event:
        """Send `body`; return `by`'s reaction to it (items recorded live get ✅, no reply)."""
        event_id = await self.send_text(room_id, body)
        return await self.wait_for(
            room_id,
            lambda e: (
                e.get("type") == "m.reaction"
                and e.get("sender") == by
                and e["content"]["m.relates_to"]["event_id"] == event_id
            ),
        )

    async def wait_for_reply(self, room_id: str, event_id: str, timeout: float = 10.0) -> Event:
        """Wait for someone else's rich reply to ``event_id``.

        Returns the reply's content plus ``sender`` and ``event_id`` keys, e.g.
        ``reply["body"]``, ``reply["sender"]``.
        """
        event = await self.wait_for(
            room_id,
            lambda ev: (
                ev.get("type") == "m.room.message"
                and ev.get("sender") != self.user_id
                and reply_target(ev) == event_id
            ),
            timeout,
        )
        return {**event["content"], "sender": event["sender"], "event_id": event["event_id"]}

    async def wait_for_invite(self, room_id: str, timeout: float = 10.0) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: room_id in self.invites), timeout)

    async def sync_barrier(self, timeout: float = 10.0) -> None:
        """Return after a sync that started after this call has been recorded.

        Use before asserting absence ("no second reply"): everything the server
        had when this was called is then in the record.
        """
        async with self._changed:
            target = self._syncs + 2  # the in-flight sync may predate the call
            await asyncio.wait_for(self._changed.wait_for(lambda: self._syncs >= target), timeout)
