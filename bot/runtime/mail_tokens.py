"""Tokens that let a mail stand for a person: the `+token` in a reply
address and the one-click opt-out link. Random (not derived from anything a
reader could know) and stored only as their SHA-256, so neither the
database nor a log lets anyone act as a member."""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import datetime, timedelta

from storage.repo import Repo
from storage.repo_mail import StoredMailToken

REPLY, OPTOUT = "reply", "optout"
OPTOUT_DAYS = 180  # an opt-out link keeps working this long after its mail
# 120 bits in 24 lower-case letters and digits: short for an address, and
# safe with mail servers that lower-case the part before the @.
_TOKEN_BYTES = 15


def token_hash(token: str) -> str:
    """How every token the bot hands out is stored (mail links, sign-in links, sessions)."""
    return hashlib.sha256(token.encode()).hexdigest()


async def issue(
    repo: Repo,
    purpose: str,
    group_id: str,
    user_id: str,
    now: datetime,
    *,
    meeting_key: str | None = None,
    expires_at: datetime | None = None,
) -> str:
    """A fresh token for this person (and meeting), stored hashed."""
    token = base64.b32encode(secrets.token_bytes(_TOKEN_BYTES)).decode().lower()
    await repo.add_mail_token(
        token_hash=token_hash(token),
        purpose=purpose,
        group_id=group_id,
        user_id=user_id,
        meeting_key=meeting_key,
        expires_at=expires_at or now + timedelta(days=OPTOUT_DAYS),
        now=now,
    )
    return token


async def redeem(repo: Repo, purpose: str, token: str, now: datetime) -> StoredMailToken | None:
    """The token's binding when it exists, is for this purpose and has not expired."""
    if not token or len(token) > 64:
        return None
    found = await repo.mail_token(token_hash(token))
    if found is None or found.purpose != purpose or found.expires_at <= now:
        return None
    return found
