"""Who may read the web archive, and how they get in without a password.

`!web` sends a one-time link privately (a Matrix direct room, a Teams
personal chat): random, stored as its hash, single use, valid 15 minutes,
at most a few per person and hour. Using it starts a session: another
random token in an `HttpOnly`, `SameSite=Lax` cookie (`Secure` on https),
stored as its hash, 30 days, with a form token for the one state change a
page makes (signing out). A person sees the groups where they are a chair,
a vice-chair or on the roster (a sub-group's inherited roster included),
and nothing of any other: those pages are 404, as if they did not exist.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from bot.config import GroupConfig
from bot.runtime.mail_tokens import token_hash
from bot.runtime.router import Role, role_of
from storage.repo import Repo

LINK_LIFETIME = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(days=30)
LINKS_PER_HOUR = 5


def readable_groups(groups: Iterable[GroupConfig], user_id: str) -> list[GroupConfig]:
    """The groups whose archive this person may read."""
    return [g for g in groups if role_of(g, user_id) > Role.OUTSIDER]


async def issue_link(repo: Repo, user_id: str, now: datetime) -> str | None:
    """A fresh sign-in token, or None when this person asked too often."""
    if await repo.web_links_since(user_id, now - timedelta(hours=1)) >= LINKS_PER_HOUR:
        return None
    token = secrets.token_urlsafe(24)
    await repo.add_web_link(token_hash(token), user_id, now, now + LINK_LIFETIME)
    return token


async def sign_in(repo: Repo, token: str, now: datetime) -> tuple[str, str | None, str | None]:
    """(outcome, session token, user): outcome is ok, used, expired or unknown."""
    if not token or len(token) > 64:
        return "unknown", None, None
    outcome, user = await repo.use_web_link(token_hash(token), now)
    if outcome != "ok" or user is None:
        return outcome, None, None
    session = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    await repo.add_web_session(token_hash(session), user, csrf, now, now + SESSION_LIFETIME)
    return "ok", session, user


async def session_of(repo: Repo, cookie: str | None, now: datetime) -> tuple[str, str] | None:
    """(user, form token) of the browser's live session, None when signed out."""
    if not cookie or len(cookie) > 100:
        return None
    return await repo.web_session(token_hash(cookie), now)
