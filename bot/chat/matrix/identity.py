"""The bot's own cross-signing identity, so Element shows its device as verified
by its owner (no red "unsigned device" shield) and shares room keys with it
when "exclude insecure devices" is on.

Three Ed25519 keys (master, self-signing, user-signing) are made on the first
start and kept in `data_dir/cross-signing.json` (mode 0600); the self-signing
key signs the bot's device, again whenever the device changes. If the keys
are lost while the homeserver still holds the identity, nothing is reset
silently: members would see the bot's identity change. The log says so once,
and `allies-bot devices reset-identity` makes a new one on purpose.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nio import AsyncClient
from nio.api import Api

from bot.chat.matrix.signing import SigningKey, fingerprint, has_valid_signature, only_key

log = logging.getLogger(__name__)
KEYS_FILE = "cross-signing.json"
PENDING_FILE = "cross-signing.pending.json"  # new keys until the homeserver took them


class IdentityError(Exception):
    """Why the identity could not be set up; no secret in the message."""


@dataclass(frozen=True)
class OwnKeys:
    master: SigningKey
    self_signing: SigningKey
    user_signing: SigningKey

    @classmethod
    def generate(cls) -> OwnKeys:
        return cls(SigningKey.generate(), SigningKey.generate(), SigningKey.generate())

    def public_objects(self, user_id: str) -> dict[str, Any]:
        """The upload body: the master key, and the two others signed by it."""
        body: dict[str, Any] = {"master_key": _key_object(user_id, "master", self.master)}
        for name, usage, key in (
            ("self_signing_key", "self_signing", self.self_signing),
            ("user_signing_key", "user_signing", self.user_signing),
        ):
            obj = _key_object(user_id, usage, key)
            obj["signatures"] = {user_id: {f"ed25519:{self.master.public}": self.master.sign(obj)}}
            body[name] = obj
        return body


def _key_object(user_id: str, usage: str, key: SigningKey) -> dict[str, Any]:
    return {"user_id": user_id, "usage": [usage], "keys": {f"ed25519:{key.public}": key.public}}


def load_keys(data_dir: Path, name: str = KEYS_FILE) -> OwnKeys | None:
    try:
        saved = json.loads((data_dir / name).read_text(encoding="utf-8"))
        return OwnKeys(*(SigningKey(bytes.fromhex(saved[k])) for k in ("master", "self", "user")))
    except (FileNotFoundError, KeyError, ValueError, TypeError):
        return None


def save_keys(data_dir: Path, keys: OwnKeys, name: str = PENDING_FILE) -> None:
    data = {"master": keys.master.seed.hex(), "self": keys.self_signing.seed.hex()}
    data["user"] = keys.user_signing.seed.hex()
    data_dir.mkdir(parents=True, exist_ok=True)
    path, tmp = data_dir / name, data_dir / f"{name}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    os.replace(tmp, path)


def promote_pending(data_dir: Path) -> None:
    """The homeserver took the pending keys: they become the bot's keys (the
    ones they replace are kept as `cross-signing.json.previous`)."""
    path = data_dir / KEYS_FILE
    if path.exists():
        os.replace(path, data_dir / f"{KEYS_FILE}.previous")
    os.replace(data_dir / PENDING_FILE, path)


async def call(client: AsyncClient, path: list[str], body: dict[str, Any]) -> tuple[int, dict]:
    """One authenticated POST to the client-server API, JSON in and out."""
    headers = {"Authorization": f"Bearer {client.access_token}"}
    response = await client.send("POST", Api._build_path(path), json.dumps(body), headers)
    try:
        answer = await response.json(content_type=None)
    except (ValueError, TypeError):
        answer = {}
    return response.status, answer if isinstance(answer, dict) else {}


async def query_keys(client: AsyncClient, users: list[str]) -> dict[str, Any]:
    """`/keys/query` with the cross-signing keys nio's own query drops."""
    status, answer = await call(
        client, ["keys", "query"], {"device_keys": {user: [] for user in users}}
    )
    if status != 200:
        raise IdentityError(f"querying keys failed (HTTP {status})")
    return answer


class OwnIdentity:
    """Creates, checks and uses the bot's identity for one logged-in client."""

    def __init__(self, client: AsyncClient, data_dir: Path, password: str | None) -> None:
        self.client = client
        self.data_dir = data_dir
        self._password = password
        self.keys = load_keys(data_dir)
        self.lost = False  # the homeserver's identity is not the one in data_dir

    @property
    def user_id(self) -> str:
        return self.client.user_id

    async def ensure(self) -> None:
        """On every start: make the identity if there is none, else check that it
        is ours; then make sure the bot's device is signed by it."""
        answer = await query_keys(self.client, [self.user_id])
        master_obj = (answer.get("master_keys") or {}).get(self.user_id)
        if master_obj is None:
            await self.create()
            answer = await query_keys(self.client, [self.user_id])
        elif (published := only_key(master_obj)) is None:
            raise IdentityError("the homeserver's master key for the bot is malformed")
        elif not self._ours(published) and not self._adopt_pending(published):
            self._report_lost(published)
            return
        await self._sign_device(answer)

    def _ours(self, published: str) -> bool:
        return self.keys is not None and self.keys.master.public == published

    def _adopt_pending(self, published: str) -> bool:
        """A start that stopped between publishing new keys and storing them."""
        pending = load_keys(self.data_dir, PENDING_FILE)
        if pending is None or pending.master.public != published:
            return False
        promote_pending(self.data_dir)
        self.keys = pending
        return True

    def _report_lost(self, published: str) -> None:
        self.lost = True
        log.error(
            "the homeserver holds a cross-signing identity for %s (master key %s) whose "
            "private keys are not in data_dir/%s: the bot's device keeps the signature it "
            "has, but a new device would stay unsigned and Element would flag its messages. "
            "Restore data_dir from a backup, or run `allies-bot devices reset-identity` "
            "(members will see the identity change)",
            self.user_id,
            fingerprint(published),
            KEYS_FILE,
        )

    async def create(self) -> None:
        """New keys, uploaded (answering the homeserver's password check if it
        asks). They are written as pending first, so a crash cannot orphan
        them, and become the bot's keys only once the homeserver took them: a
        failed reset leaves the old identity as it was."""
        keys = OwnKeys.generate()
        save_keys(self.data_dir, keys, PENDING_FILE)
        body = keys.public_objects(self.user_id)
        status, answer = await call(self.client, ["keys", "device_signing", "upload"], body)
        if status == 401 and "session" in answer:
            if not self._password:
                raise IdentityError(
                    "the homeserver asks for the bot's password to publish its cross-signing "
                    "keys: set ALLIES_BOT_PASSWORD (or matrix.password) for this start"
                )
            body["auth"] = {
                "type": "m.login.password",
                "identifier": {"type": "m.id.user", "user": self.user_id},
                "password": self._password,
                "session": answer["session"],
            }
            status, answer = await call(self.client, ["keys", "device_signing", "upload"], body)
        if status != 200:
            (self.data_dir / PENDING_FILE).unlink(missing_ok=True)
            raise IdentityError(f"publishing cross-signing keys failed (HTTP {status})")
        promote_pending(self.data_dir)
        self.keys, self.lost = keys, False
        log.info(
            "cross-signing identity created for %s (master key %s)",
            self.user_id,
            fingerprint(keys.master.public),
        )

    async def _sign_device(self, answer: dict[str, Any]) -> None:
        assert self.keys is not None
        device_id = self.client.device_id
        device = answer.get("device_keys", {}).get(self.user_id, {}).get(device_id)
        if device is None:
            raise IdentityError(f"the homeserver has no keys for device {device_id} yet")
        ssk = self.keys.self_signing
        if has_valid_signature(device, self.user_id, ssk.public):
            return
        signed = {k: v for k, v in device.items() if k not in ("signatures", "unsigned")}
        signed["signatures"] = {self.user_id: {f"ed25519:{ssk.public}": ssk.sign(device)}}
        status, reply = await call(
            self.client, ["keys", "signatures", "upload"], {self.user_id: {device_id: signed}}
        )
        if status != 200 or reply.get("failures"):
            raise IdentityError(f"signing device {device_id} failed (HTTP {status})")
        log.info("device %s signed by the bot's cross-signing identity", device_id)
