"""Rules about members' updates that every way of sending one shares
(`!update` in chat, a reply to the chase mail)."""

from __future__ import annotations

import hashlib

MAX_UPDATE_CHARS = 4000
NO_ALLIANCE = "(no alliance)"
_MAIL_PREFIX = "mail:"


def too_long(text: str) -> str | None:
    """The answer to an update over the limit, None when it fits."""
    if len(text) <= MAX_UPDATE_CHARS:
        return None
    return (
        f"That update is {len(text):,} characters; the limit is {MAX_UPDATE_CHARS:,}. "
        "Please shorten it or split it into several `!update` messages."
    )


def mail_event_id(message_id: str) -> str:
    """The id an update sent by mail is stored under: from its Message-ID, so
    the same mail read twice is recognised (and never applied twice)."""
    return _MAIL_PREFIX + hashlib.sha256(message_id.strip().encode()).hexdigest()[:48]


def came_by_mail(event_id: str) -> bool:
    return event_id.startswith(_MAIL_PREFIX)
