"""Hands mails to the SMTP server (aiosmtplib), one connection per batch.

What the server says decides what happens to a mail (RFC 5321 section 4.2.1):
a 2xx is delivered; a 4xx is "try again later"; a 5xx is final, and retrying
it would only annoy the server's operator. A connection that fails or drops
says nothing about any mail: the whole batch waits for the next attempt.
"""

from __future__ import annotations

import logging
import re
import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import Enum

import aiosmtplib

from bot.config.email import EmailConfig

log = logging.getLogger(__name__)
TIMEOUT_S = 30.0


class Delivery(Enum):
    SENT = "sent"
    RETRY = "retry"  # 4xx: the server wants it later
    FINAL = "final"  # 5xx: refused for good


@dataclass(frozen=True)
class Outcome:
    delivery: Delivery
    reason: str = ""  # the server's code and text, never the mail


Settle = Callable[[int, Outcome], Awaitable[None]]  # (index in the batch, its outcome)


class ServerUnreachable(Exception):
    """The connection failed or dropped; no mail of the batch is to blame."""


def tls_context(ca_file: str | None) -> ssl.SSLContext:
    """The system's trusted certificates, or the operator's own CA file."""
    return ssl.create_default_context(cafile=ca_file)


def _client(config: EmailConfig) -> aiosmtplib.SMTP:
    return aiosmtplib.SMTP(
        hostname=config.host,
        port=config.port,
        username=config.username,
        password=config.password,
        use_tls=config.security == "tls",
        start_tls=config.security == "starttls",
        tls_context=tls_context(config.ca_file) if config.security != "none" else None,
        timeout=TIMEOUT_S,
    )


_ADDRESS = re.compile(r"<?[^\s<>]+@[^\s<>]+>?")


def _outcome(exc: aiosmtplib.SMTPResponseException) -> Outcome:
    """The server's code and words, addresses taken out (logs, the chairs' notice)."""
    delivery = Delivery.RETRY if 400 <= exc.code < 500 else Delivery.FINAL
    words = _ADDRESS.sub("<address>", str(exc.message))
    return Outcome(delivery, f"{exc.code} {words}"[:300])


class SmtpSender:
    def __init__(self, config: EmailConfig) -> None:
        self.config = config

    async def send(self, mails: Sequence[tuple[str, bytes]], settle: Settle) -> None:
        """Send (recipient, raw message) pairs over one connection, `settle`
        each mail's outcome before the next is sent (so a connection lost
        half-way leaves no accepted mail unrecorded); raise ServerUnreachable
        when the server cannot be talked to (the mails not yet settled wait)."""
        client = _client(self.config)
        try:
            await client.connect()
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise ServerUnreachable(f"{type(exc).__name__}: {exc}") from None
        try:
            for index, (recipient, raw) in enumerate(mails):
                await settle(index, await self._send_one(client, recipient, raw))
        finally:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                log.debug("SMTP QUIT failed", exc_info=True)

    async def _send_one(self, client: aiosmtplib.SMTP, recipient: str, raw: bytes) -> Outcome:
        try:
            await client.sendmail(self.config.sender_address, [recipient], raw)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            return _outcome(exc.recipients[0])
        except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError, OSError) as exc:
            raise ServerUnreachable(f"{type(exc).__name__}: {exc}") from None
        except aiosmtplib.SMTPResponseException as exc:
            return _outcome(exc)
        except (aiosmtplib.SMTPException, UnicodeError, ValueError) as exc:
            # this mail cannot be sent at all (an address the server cannot take)
            return Outcome(Delivery.FINAL, f"not sendable ({type(exc).__name__})")
        return Outcome(Delivery.SENT)

    async def check(self) -> str | None:
        """For /healthz: None when the server answers (and accepts our login)."""
        client = _client(self.config)
        try:
            await client.connect()
            await client.quit()
        except (aiosmtplib.SMTPException, OSError) as exc:
            return f"SMTP {self.config.host}:{self.config.port}: {type(exc).__name__}"
        return None
