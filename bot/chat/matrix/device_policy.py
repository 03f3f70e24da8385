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
    MemberIdentity,
    TrustStore,
    Verdict,
    identities_from,
    verdict,
)

log = logging.getLogger(__name__)


class DevicePolicy:
    def __init__(self, client: AsyncClient, policy: str, data_dir: Path) -> None:
        self.client = client
        self.policy = policy
        self.trust = TrustStore(data_dir)
        self.identities: dict[str, MemberIdentity | None] = {}  # None: has no identity
        self._flag_logged: set[tuple[str, str]] = set()
        self._refused_sessions: set[str] = set()

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
        for user in users:
            self.identities[user] = found.get(user)

    def apply(self, room_ids: Iterable[str]) -> None:
        """Each member device as `bot.chat.matrix.trust` decides. A device that
        becomes trusted gets the next room key (the current one was withheld)."""
        room_ids = list(room_ids)
        for device in self._member_devices(room_ids):
            decision = self._verdict(device)
            if decision is Verdict.TRUST:
                self._trust(device, room_ids)
            elif decision is Verdict.REFUSE:
                self.refuse_device(device)

    def _verdict(self, device: OlmDevice) -> Verdict:
        identity = self.identities.get(device.user_id)
        had_pin = device.user_id in self.trust.pinned
        decision = verdict(
            self.policy, self.trust, identity, device.user_id, device.id, device.verified
        )
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

    def _trust(self, device: OlmDevice, room_ids: list[str]) -> None:
        if device.verified:
            return
        if device.blacklisted:
            self.client.unblacklist_device(device)
            for room_id in room_ids:
                room = self.client.rooms.get(room_id)
                if room is not None and device.user_id in room.users:
                    self.client.olm.outbound_group_sessions.pop(room_id, None)
        self.client.verify_device(device)
        log.info(
            "trusting device %s of %s (%s; ed25519 %s)",
            device.id,
            device.user_id,
            "signed by its owner" if self.identities.get(device.user_id) else "first use",
            device.ed25519,
        )

    def refuse_device(self, device: OlmDevice) -> None:
        """No room keys for this device, and nothing it says is acted on."""
        if device.blacklisted:
            return
        if device.verified and self.policy != OPERATOR_VERIFIED:
            self.client.unverify_device(device)
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

    def _member_users(self, room_ids: Iterable[str]) -> set[str]:
        users: set[str] = set()
        for room_id in room_ids:
            room = self.client.rooms.get(room_id)
            if room is not None and room.encrypted:
                users.update(room.users)
        users.discard(self.client.user_id)
        return users

    def _member_devices(self, room_ids: Iterable[str]) -> list[OlmDevice]:
        client = self.client
        devices = []
        for user in sorted(self._member_users(room_ids)):
            for device in client.device_store.active_user_devices(user):
                if not (user == client.user_id and device.id == client.device_id):
                    devices.append(device)
        return devices

    def refuses(self, event: Any) -> bool:
        """A message is not acted on (logged once per session) when it comes,
        under "operator-verified", from a device nobody verified, or from a
        member whose identity changed and is not yet accepted."""
        if not getattr(event, "decrypted", False) or getattr(event, "verified", False):
            return False
        sender = getattr(event, "sender", "")
        flagged = sender in self.trust.changed
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
