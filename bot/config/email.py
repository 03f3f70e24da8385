"""`[email]` (mail out over SMTP) and `[email.inbound]` (replies read over IMAP).

Passwords come from the environment only (`ALLIES_BOT_SMTP_PASSWORD`,
`ALLIES_BOT_IMAP_PASSWORD`, the service's secrets file), never from the
config file, so a config can be shared or checked in without a secret.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.headerregistry import Address
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from bot.config.problems import EMAIL_RE, Checker

SMTP_PASSWORD_ENV = "ALLIES_BOT_SMTP_PASSWORD"
IMAP_PASSWORD_ENV = "ALLIES_BOT_IMAP_PASSWORD"
SECURITY = ("starttls", "tls", "none")
SMTP_PORTS = {"starttls": 587, "tls": 465, "none": 25}
IMAP_SECURITY = ("tls", "none")  # aioimaplib speaks no STARTTLS
IMAP_PORTS = {"tls": 993, "none": 143}
DEFAULT_POLL_SECONDS = 60


@dataclass(frozen=True)
class InboundConfig:
    """The mailbox replies arrive in; `address` is its e-mail address, which
    personal mails give as `Reply-To: local+token@domain` (plus addressing)."""

    host: str
    port: int
    security: str
    user: str
    password: str
    address: str
    folder: str = "INBOX"
    processed_folder: str = "Processed"
    poll_seconds: int = DEFAULT_POLL_SECONDS

    def reply_address(self, token: str) -> str:
        local, _, domain = self.address.partition("@")
        return f"{local}+{token}@{domain}"


@dataclass(frozen=True)
class EmailConfig:
    host: str
    port: int
    security: str
    sender: str  # the From: header, `ALLIES bot <bot@example.org>`
    username: str | None = None
    password: str | None = None
    inbound: InboundConfig | None = None
    ca_file: str | None = None  # trust this CA (a private one) for TLS, not only the system's

    @property
    def sender_address(self) -> str:
        return parseaddr(self.sender)[1]

    @property
    def domain(self) -> str:
        """Where the bot's Message-IDs come from (the From address's domain)."""
        return self.sender_address.partition("@")[2]


def email_address(value: Any) -> str | None:
    """A plain address, lower-cased, or None (also for `Name <a@b>` forms)."""
    if not isinstance(value, str):
        return None
    value = value.strip().lower()
    return value if EMAIL_RE.match(value) else None


def _security(table: dict, where: str, check: Checker, allowed: tuple[str, ...]) -> str:
    value = table.get("security", allowed[0])
    if value not in allowed:
        check.fail(f"{where}.security", f"must be one of {', '.join(allowed)}, got {value!r}")
        return allowed[0]
    return value


def _port(table: dict, where: str, default: int, check: Checker) -> int:
    value = table.get("port", default)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
        check.fail(f"{where}.port", f"must be a port number, got {value!r}")
        return default
    return value


def _sender(table: dict, check: Checker) -> str | None:
    value = check.string(table, "from", "email")
    if value is None:
        return None
    name, address = parseaddr(value)
    if email_address(address) is None or "\n" in value:
        check.fail("email.from", f"{value!r} must be like 'ALLIES bot <bot@example.org>'")
        return None
    return str(Address(display_name=name, addr_spec=address.lower()))


def _without_password(table: dict, where: str, env: str, check: Checker) -> dict:
    """A password in the file is refused with where it belongs instead."""
    if "password" in table:
        check.fail(f"{where}.password", f"not accepted in the file: set {env} in the environment")
    return {key: value for key, value in table.items() if key != "password"}


def parse_email(table: Any, environ: dict[str, str], check: Checker) -> EmailConfig | None:
    if table is None:
        return None
    if not isinstance(table, dict):
        check.fail("email", "must be a table")
        return None
    check.unknown_keys(
        _without_password(table, "email", SMTP_PASSWORD_ENV, check), "email", "email"
    )
    host = check.string(table, "host", "email")
    security = _security(table, "email", check, SECURITY)
    port = _port(table, "email", SMTP_PORTS[security], check)
    sender = _sender(table, check)
    username = check.string(table, "username", "email", required=False)
    password = environ.get(SMTP_PASSWORD_ENV) or None
    if username and not password:
        check.fail("email.username", f"is set, but {SMTP_PASSWORD_ENV} is not in the environment")
    inbound = _parse_inbound(table.get("inbound"), environ, check)
    ca_file = check.string(table, "ca_file", "email", required=False)
    if ca_file and not Path(ca_file).is_file():
        check.fail("email.ca_file", f"{ca_file!r} is not a file")
    if host is None or sender is None:
        return None
    return EmailConfig(host, port, security, sender, username, password, inbound, ca_file)


def _parse_inbound(table: Any, environ: dict[str, str], check: Checker) -> InboundConfig | None:
    if table is None:
        return None
    where = "email.inbound"
    if not isinstance(table, dict):
        check.fail(where, "must be a table")
        return None
    check.unknown_keys(_without_password(table, where, IMAP_PASSWORD_ENV, check), "inbound", where)
    host = check.string(table, "host", where)
    security = _security(table, where, check, IMAP_SECURITY)
    port = _port(table, where, IMAP_PORTS[security], check)
    user = check.string(table, "user", where)
    address = email_address(table.get("address"))
    if address is None:
        check.fail(f"{where}.address", "must be the mailbox's e-mail address, e.g. bot@example.org")
    elif "+" in address.partition("@")[0]:
        check.fail(f"{where}.address", "must not contain '+' (replies use address+token@…)")
        address = None
    password = environ.get(IMAP_PASSWORD_ENV)
    if not password:
        check.fail(where, f"{IMAP_PASSWORD_ENV} is not in the environment")
    folder = check.string(table, "folder", where, required=False) or "INBOX"
    done = check.string(table, "processed_folder", where, required=False) or "Processed"
    poll = table.get("poll_seconds", DEFAULT_POLL_SECONDS)
    if isinstance(poll, bool) or not isinstance(poll, int) or not 5 <= poll <= 3600:
        check.fail(f"{where}.poll_seconds", f"must be from 5 to 3600 seconds, got {poll!r}")
        poll = DEFAULT_POLL_SECONDS
    if None in (host, user, address) or not password:
        return None
    return InboundConfig(host, port, security, user, password, address, folder, done, poll)
