"""Applies the trust rules of `bot.chat.matrix.trust` to nio's device store:
which members' devices get room keys, and whose messages are acted on.

nio keeps one trust state per device (verified, blacklisted, unset) and
shares room keys with every device not blacklisted; members' cross-signing
identities, which nio does not keep, are fetched here with `/keys/query`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from nio import AsyncClient
from nio.crypto import OlmDevice

from bot.chat.matrix.identity import IdentityError, query_keys
from bot.chat.matrix.trust import (
    OPERATOR_VERIFIED,
    DeviceFacts,
    MemberIdentity,
    TrustStore,
    Verdict,
    identities_from,
    unreachable_users,
    verdict,
)

log = logging.getLogger(__name__)


class DevicePolicy:
    def __init__(self, client: AsyncClient, policy: str, data_dir: Path) -> None:
        self.client = client
        self.policy = policy
        self.trust = TrustStore(data_dir)
        # None: has published no identity; absent: not known (yet), decide nothing
        self.identities: dict[str, MemberIdentity | None] = {}
        self._flag_logged: set[tuple[str, str]] = set()
        self._refused_sessions: set[str] = set()

    def unjudged(self, users: Iterable[str]) -> bool:
        """Some of these people's identities are not known yet."""
        if self.policy == OPERATOR_VERIFIED:
            return False
        return any(u and u != self.client.user_id and u not in self.identities for u in users)

    def forget_identities(self, users: Iterable[str]) -> None:
        """Their device lists changed: fetch their identities again."""
        for user in users:
            self.identities.pop(user, None)

    async def learn_identities(self, room_ids: Iterable[str]) -> None:
        """Members' cross-signing identities, for those not known since their
        last device-list change (nio's key query does not keep them)."""
        if self.policy == OPERATOR_VERIFIED:
            return
        users = sorted(self._member_users(room_ids) - set(self.identities))
        if not users:
            return
        try:
            answer = await query_keys(self.client, users)
        except IdentityError as exc:
            log.warning("members' cross-signing keys: %s", exc)
            return
        found = identities_from(answer)
        unreachable = unreachable_users(answer, users)
        for user in users:
            if user not in unreachable:
                self.identities[user] = found.get(user)

    def apply(self, room_ids: Iterable[str]) -> None:
        """Each member device as `bot.chat.matrix.trust` decides. A device that
        becomes trusted gets the next room key (the current one was withheld)."""
        room_ids = list(room_ids)
        for device in self._member_devices(room_ids):
            decision = self._verdict(device)
            if decision is Verdict.TRUST:
                self._trust(device)
            elif decision is Verdict.REFUSE:
                self.refuse_device(device)

    def _verdict(self, device: OlmDevice) -> Verdict:
        if self.policy != OPERATOR_VERIFIED and device.user_id not in self.identities:
            return Verdict.KEEP  # the key query failed: decide when it is known
        identity = self.identities.get(device.user_id)
        had_pin = device.user_id in self.trust.pinned
        facts = DeviceFacts(device.user_id, device.id, device.ed25519, device.verified)
        decision = verdict(self.policy, self.trust, identity, facts)
        if identity is not None and not had_pin and device.user_id in self.trust.pinned:
            log.info(
                "pinned the cross-signing identity of %s (master %s)",
                device.user_id,
                identity.master,
            )
        if device.user_id in self.trust.changed:
            self._log_changed(device.user_id)
        if decision is Verdict.TRUST and identity is None and device.blacklisted:
            return Verdict.KEEP  # trust on first use only: a device once refused stays so
        return decision

    def _log_changed(self, user_id: str) -> None:
        new = self.trust.changed[user_id]
        if (user_id, new) in self._flag_logged:
            return
        self._flag_logged.add((user_id, new))
        log.warning(
            "the cross-signing identity of %s changed (master %s, pinned %s): no room keys for "
            "its devices and its messages are ignored until an operator runs "
            "`allies-bot devices accept-identity %s`",
            user_id,
            new,
            self.trust.pinned.get(user_id),
            user_id,
        )

    def _trust(self, device: OlmDevice) -> None:
        if device.verified:
            return
        if device.blacklisted:
            self.client.unblacklist_device(device)
            self._new_room_keys(device.user_id)  # the current one was withheld from it
        self.client.verify_device(device)
        log.info(
            "trusting device %s of %s (%s; ed25519 %s)",
            device.id,
            device.user_id,
            "signed by its owner" if self.identities.get(device.user_id) else "first use",
            device.ed25519,
        )

    def refuse_device(self, device: OlmDevice) -> None:
        """No room keys for this device from now on (the rooms it may have a
        key for get a new one), and nothing it says is acted on."""
        if device.blacklisted:
            return
        if device.verified and self.policy != OPERATOR_VERIFIED:
            self.client.unverify_device(device)
        self._new_room_keys(device.user_id)
        if self.client.blacklist_device(device):
            log.warning(
                "device %s of %s gets no room keys (trust = %s: %s)",
                device.id,
                device.user_id,
                self.policy,
                self._why_refused(device),
            )

    def _why_refused(self, device: OlmDevice) -> str:
        if self.trust.is_blocked(device.user_id, device.id):
            return "blocked by an operator"
        if self.policy == OPERATOR_VERIFIED:
            return f"verify it with `allies-bot devices verify {device.user_id} {device.id}`"
        if device.user_id in self.trust.changed:
            return "its owner's identity changed"
        if self.identities.get(device.user_id) is None:
            return "its owner has no cross-signing identity"
        return "its owner's identity has not signed it"

    def _new_room_keys(self, user_id: str) -> None:
        """Drop the outbound room keys of the rooms `user_id` is in, so the next
        message is encrypted with a key shared by the current policy."""
        for room_id, room in self.client.rooms.items():
            if user_id in room.users:
                self.client.olm.outbound_group_sessions.pop(room_id, None)

    def _member_users(self, room_ids: Iterable[str]) -> set[str]:
        users: set[str] = set()
        for room_id in room_ids:
            room = self.client.rooms.get(room_id)
            if room is not None and room.encrypted:
                users.update(room.users)
        users.add(self.client.user_id)  # its own other logins are judged like members'
        return users

    def _member_devices(self, room_ids: Iterable[str]) -> list[OlmDevice]:
        client = self.client
        devices = []
        for user in sorted(self._member_users(room_ids)):
            for device in client.device_store.active_user_devices(user):
                if not (user == client.user_id and device.id == client.device_id):
                    devices.append(device)
        return devices

    def _from_refused_device(self, event: Any) -> bool:
        """Sent by a device the policy refused (found by its Curve25519 key)."""
        sender_key = getattr(event, "sender_key", None)
        for device in self.client.device_store.active_user_devices(getattr(event, "sender", "")):
            if device.curve25519 == sender_key:
                return device.blacklisted
        return False

    def refuses(self, event: Any) -> bool:
        """A message is not acted on (logged once per session) when it comes
        from a device the policy refused (blocked, not signed by its owner's
        identity, of a changed identity not yet accepted) or, under
        "operator-verified", from any device nobody verified."""
        if not getattr(event, "decrypted", False) or getattr(event, "verified", False):
            return False
        sender = getattr(event, "sender", "")
        flagged = sender in self.trust.changed or self._from_refused_device(event)
        if self.policy != OPERATOR_VERIFIED and not flagged:
            return False
        session = getattr(event, "session_id", "") or ""
        if session not in self._refused_sessions:
            self._refused_sessions.add(session)
            log.warning(
                "ignoring %s from an untrusted device of %s (session %s; trust = %s)",
                getattr(event, "event_id", "?"),
                getattr(event, "sender", "?"),
                session,
                self.policy,
            )
        return True
