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
    """A member's published identity and the devices it validly signs."""

    master: str
    signed_devices: frozenset[str]


def identities_from(answer: dict[str, Any]) -> dict[str, MemberIdentity]:
    """Check the signature chain of a `/keys/query` answer: master key ->
    self-signing key -> device. A broken link signs nothing."""
    found: dict[str, MemberIdentity] = {}
    for user, master_obj in (answer.get("master_keys") or {}).items():
        master = only_key(master_obj)
        if master is None:
            continue
        ssk_obj = (answer.get("self_signing_keys") or {}).get(user) or {}
        ssk = only_key(ssk_obj)
        signed: set[str] = set()
        if ssk is not None and has_valid_signature(ssk_obj, user, master):
            for device_id, keys in ((answer.get("device_keys") or {}).get(user) or {}).items():
                if has_valid_signature(keys, user, ssk):
                    signed.add(device_id)
        found[user] = MemberIdentity(master, frozenset(signed))
    return found


class TrustStore:
    """Pinned identities, flagged changes and operator blocks, kept on disk."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / TRUST_FILE
        try:
            saved = json.loads(self.path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            saved = {}
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


def verdict(
    policy: str,
    store: TrustStore,
    identity: MemberIdentity | None,
    user_id: str,
    device_id: str,
    operator_verified: bool,
) -> Verdict:
    """What the policy says of one member's device (pins a new identity, flags
    a changed one: the caller logs both)."""
    if store.is_blocked(user_id, device_id):
        return Verdict.REFUSE
    if policy == OPERATOR_VERIFIED:
        return Verdict.KEEP if operator_verified else Verdict.REFUSE
    if identity is None:
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
    return Verdict.TRUST if device_id in identity.signed_devices else Verdict.REFUSE
