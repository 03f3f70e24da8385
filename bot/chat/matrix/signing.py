"""Ed25519 signatures over canonical JSON, as Matrix signs keys.

Cross-signing needs three signing keys of the bot's own (nio has none) and
signature checks of members' keys. The private key is a 32-byte seed
(pycryptodome, already a dependency of matrix-nio); public keys and
signatures are unpadded base64, checked with vodozemac as nio checks its own.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import vodozemac
from Crypto.PublicKey import ECC
from Crypto.Signature import eddsa


def unpadded_b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def canonical_json(value: Any) -> bytes:
    """The Matrix spec's canonical JSON (appendix "Signing JSON")."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode(
        "utf-8"
    )


def signed_part(obj: dict[str, Any]) -> dict[str, Any]:
    """What a signature covers: the object without `signatures` and `unsigned`."""
    return {k: v for k, v in obj.items() if k not in ("signatures", "unsigned")}


@dataclass(frozen=True)
class SigningKey:
    seed: bytes = field(repr=False)

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(secrets.token_bytes(32))

    @cached_property
    def _key(self) -> Any:
        return ECC.construct(curve="ed25519", seed=self.seed)

    @cached_property
    def public(self) -> str:
        return unpadded_b64(self._key.public_key().export_key(format="raw"))

    def sign(self, obj: dict[str, Any]) -> str:
        signer = eddsa.new(self._key, "rfc8032")
        return unpadded_b64(signer.sign(canonical_json(signed_part(obj))))


def has_valid_signature(obj: Any, user_id: str, public_key: str) -> bool:
    """Whether `obj` carries `user_id`'s signature by the Ed25519 key `public_key`."""
    if not isinstance(obj, dict) or not isinstance(public_key, str):
        return False
    signatures = obj.get("signatures")
    by_user = signatures.get(user_id) if isinstance(signatures, dict) else None
    signature = by_user.get(f"ed25519:{public_key}") if isinstance(by_user, dict) else None
    if not isinstance(signature, str):
        return False
    try:
        key = vodozemac.Ed25519PublicKey.from_base64(public_key)
        key.verify_signature(
            canonical_json(signed_part(obj)), vodozemac.Ed25519Signature.from_base64(signature)
        )
    except (
        vodozemac.SignatureException,
        vodozemac.KeyException,
        vodozemac.DecodeException,
        ValueError,
    ):
        return False
    return True


def only_key(key_object: Any) -> str | None:
    """The one Ed25519 key of a cross-signing key object, else None."""
    keys = key_object.get("keys") if isinstance(key_object, dict) else None
    if not isinstance(keys, dict):
        return None
    values = [
        v
        for k, v in keys.items()
        if isinstance(k, str) and k.startswith("ed25519:") and isinstance(v, str)
    ]
    return values[0] if len(values) == 1 else None


def fingerprint(public_key: str) -> str:
    """As Element shows key fingerprints: groups of four characters."""
    return " ".join(public_key[i : i + 4] for i in range(0, len(public_key), 4))
