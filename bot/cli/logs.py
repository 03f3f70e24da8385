"""Logging set-up: one line per event, and secrets masked wherever they appear."""

from __future__ import annotations

import logging
from collections.abc import Iterable

MASK = "********"


class SecretFilter(logging.Filter):
    """Replaces known secret strings in every record's final message, so a
    password or token never reaches a log even through a library's message."""

    def __init__(self, secrets: Iterable[str | None]) -> None:
        super().__init__()
        self.secrets = [secret for secret in secrets if secret and len(secret) >= 4]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        masked = message
        for secret in self.secrets:
            masked = masked.replace(secret, MASK)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def setup_logging(level: str = "INFO", secrets: Iterable[str | None] = ()) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(SecretFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in (
        "nio",
        "aiosqlite",
        "alembic",
        "apscheduler",
        "microsoft_agents",
        "msal",
        "aiosmtplib",
        "aioimaplib",
    ):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # nio's warning about an event that fails its schema quotes the whole
    # event, which for a decrypted one is plaintext of an encrypted room.
    logging.getLogger("nio.events").setLevel(logging.ERROR)
