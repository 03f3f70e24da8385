"""Which members' devices get room keys, decided by cross-signing as Element does.

A member's cross-signing identity (master key) is pinned the first time the
bot sees it, and the devices that identity signs (through its self-signing
key) are trusted. A changed identity is flagged: its devices get no room
keys, and its messages are not acted on, until an operator accepts it
(`allies-bot devices accept-identity @user`). A device its owner's identity
does not sign gets nothing (it could be anyone's, and Element warns about it
too). Members without any identity (older clients) have their devices
trusted on first use under the default mode, refused under
"cross-signed-only". "operator-verified" trusts only what an operator
verified with `allies-bot devices verify`.

Pins, flags and operator blocks live in `data_dir/trust.json` (0600).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from bot.chat.matrix.signing import has_valid_signature, only_key

TRUST_FILE = "trust.json"
CROSS_SIGNING = "cross-signing"
CROSS_SIGNED_ONLY = "cross-signed-only"
OPERATOR_VERIFIED = "operator-verified"


class Verdict(Enum):
    TRUST = "trust"
    REFUSE = "refuse"
    KEEP = "keep"  # leave the device as it is


@dataclass(frozen=True)
class MemberIdentity:
    """A member's published identity and the devices it validly signs, each
    with the Ed25519 key it signed (so a device id cannot borrow a signature)."""

    master: str
    signed_devices: Mapping[str, str]  # device id -> its signed ed25519 key

    def signs(self, device_id: str, ed25519: str) -> bool:
        return self.signed_devices.get(device_id) == ed25519


def _key_for(obj: Any, user: str, usage: str) -> str | None:
    """The key of a cross-signing key object meant for `usage` by `user`."""
    if not isinstance(obj, dict) or obj.get("user_id") != user:
        return None
    if usage not in (obj.get("usage") or []):
        return None
    return only_key(obj)


def _signed_devices(devices: Any, user: str, ssk: str) -> dict[str, str]:
    signed: dict[str, str] = {}
    for device_id, keys in (devices if isinstance(devices, dict) else {}).items():
        if not isinstance(keys, dict):
            continue
        if keys.get("user_id") != user or keys.get("device_id") != device_id:
            continue
        ed25519 = (keys.get("keys") or {}).get(f"ed25519:{device_id}")
        if isinstance(ed25519, str) and has_valid_signature(keys, user, ssk):
            signed[device_id] = ed25519
    return signed


def identities_from(answer: dict[str, Any]) -> dict[str, MemberIdentity]:
    """Check the signature chain of a `/keys/query` answer: master key ->
    self-signing key -> device, each object for its user and purpose. A
    broken link signs nothing; a malformed master key is no identity."""
    found: dict[str, MemberIdentity] = {}
    masters = answer.get("master_keys")
    for user, master_obj in (masters if isinstance(masters, dict) else {}).items():
        master = _key_for(master_obj, user, "master")
        if master is None:
            continue
        ssk_obj = (answer.get("self_signing_keys") or {}).get(user)
        ssk = _key_for(ssk_obj, user, "self_signing")
        signed: dict[str, str] = {}
        if ssk is not None and has_valid_signature(ssk_obj, user, master):
            signed = _signed_devices((answer.get("device_keys") or {}).get(user), user, ssk)
        found[user] = MemberIdentity(master, signed)
    return found


def unreachable_users(answer: dict[str, Any], users: list[str]) -> set[str]:
    """Users whose homeserver the query could not reach: their identity is
    unknown, not absent."""
    failures = answer.get("failures") or {}
    return {user for user in users if user.split(":", 1)[-1] in failures}


class TrustFileError(Exception):
    """`trust.json` cannot be read: starting would forget every pinned identity."""


class TrustStore:
    """Pinned identities, flagged changes and operator blocks, kept on disk."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / TRUST_FILE
        try:
            saved = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            saved = {}
        except ValueError:
            raise TrustFileError(
                f"{self.path} is not valid JSON: restore it from a backup (deleting it "
                "forgets which cross-signing identities members had)"
            ) from None
        self.pinned: dict[str, str] = dict(saved.get("pinned", {}))
        self.changed: dict[str, str] = dict(saved.get("changed", {}))
        self.blocked: dict[str, list[str]] = dict(saved.get("blocked", {}))

    def save(self) -> None:
        data = {"pinned": self.pinned, "changed": self.changed, "blocked": self.blocked}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1, sort_keys=True)
        os.replace(tmp, self.path)

    def is_blocked(self, user_id: str, device_id: str) -> bool:
        return device_id in self.blocked.get(user_id, [])

    def block(self, user_id: str, device_id: str, blocked: bool = True) -> None:
        devices = set(self.blocked.get(user_id, []))
        devices = devices | {device_id} if blocked else devices - {device_id}
        self.blocked[user_id] = sorted(devices)
        self.save()

    def accept(self, user_id: str) -> str | None:
        """An operator accepts a changed identity: it becomes the pinned one."""
        new = self.changed.pop(user_id, None)
        if new is not None:
            self.pinned[user_id] = new
            self.save()
        return new


@dataclass(frozen=True)
class DeviceFacts:
    """What nio knows of one device."""

    user_id: str
    device_id: str
    ed25519: str
    operator_verified: bool


def verdict(
    policy: str, store: TrustStore, identity: MemberIdentity | None, device: DeviceFacts
) -> Verdict:
    """What the policy says of one member's device (pins a new identity, flags
    a changed one: the caller logs both). `identity` None: the member has
    published none."""
    user_id = device.user_id
    if store.is_blocked(user_id, device.device_id):
        return Verdict.REFUSE
    if policy == OPERATOR_VERIFIED:
        return Verdict.KEEP if device.operator_verified else Verdict.REFUSE
    if identity is None:
        if user_id in store.pinned:  # identities are not given up: a downgrade
            return Verdict.REFUSE
        return Verdict.TRUST if policy == CROSS_SIGNING else Verdict.REFUSE
    pinned = store.pinned.get(user_id)
    if pinned is None:
        store.pinned[user_id] = identity.master
        store.save()
    elif pinned != identity.master:
        if store.changed.get(user_id) != identity.master:
            store.changed[user_id] = identity.master
            store.save()
        return Verdict.REFUSE
    elif user_id in store.changed:  # changed back to the pinned one
        del store.changed[user_id]
        store.save()
    return Verdict.TRUST if identity.signs(device.device_id, device.ed25519) else Verdict.REFUSE
