"""Reads one incoming mail: who sent it, which token it was addressed to,
whether a machine wrote it, and the new text a person wrote above the quote.

Machines are recognised by what RFC 3834 and common practice put in their
headers (`Auto-Submitted`, `X-Autoreply`, `Precedence: bulk`, an empty
return path, a delivery report), never by guessing at the text alone; an
auto-reply must get no answer, or two bots answer each other for ever.

The new text is what mail-parser-reply leaves of the first reply: quoted
history ("On … wrote:", Outlook's "From: … Sent: …"), salutations and the
signature go.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr

from mailparser_reply import EmailReplyParser
from mailparser_reply.constants import MAIL_LANGUAGES

from bot.config.email import email_address

_AUTO_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
_AUTO_SUBJECT = re.compile(
    r"^(auto(matic)?[ -]?reply|out of (the )?office|abwesenheitsnotiz|"
    r"r[ée]ponse automatique|undeliverable|delivery status notification)",
    re.IGNORECASE,
)
_MACHINES = ("mailer-daemon@", "postmaster@")
_ADDRESS_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")


@dataclass(frozen=True)
class InboundMail:
    message_id: str  # as sent, `<…@…>`; a made-up one when the mail has none
    sender: str  # the From address, lower-case ("" when unreadable)
    token: str | None  # from `local+token@domain` of our address
    automatic: bool  # an auto-reply, a bounce, a list's mail: never answered
    text: str  # the new text, quote and signature removed
    subject: str
    references: str  # for the answer's References header


def _automatic(mail: EmailMessage, sender: str) -> bool:
    auto = str(mail.get("Auto-Submitted", "no")).strip().lower()
    if auto and auto != "no":
        return True
    if any(mail.get(name) for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Reply")):
        return True
    if str(mail.get("Precedence", "")).strip().lower() in _AUTO_PRECEDENCE:
        return True
    if str(mail.get("Return-Path", "")).strip() == "<>" or sender.startswith(_MACHINES):
        return True
    if mail.get_content_type() == "multipart/report":
        return True
    return bool(_AUTO_SUBJECT.match(str(mail.get("Subject", "")).strip()))


def _token(mail: EmailMessage, address: str) -> str | None:
    local, _, domain = address.lower().partition("@")
    pattern = re.compile(rf"^{re.escape(local)}\+([a-z0-9]{{8,64}})@{re.escape(domain)}$")
    values = [str(v) for name in _ADDRESS_HEADERS for v in mail.get_all(name, [])]
    for _name, found in getaddresses(values):
        matched = pattern.match(found.strip().lower())
        if matched:
            return matched[1]
    return None


def _plain_text(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("plain",))
    if part is not None:
        return part.get_content()
    part = mail.get_body(preferencelist=("html",))
    if part is None:
        return ""
    text = re.sub(r"(?is)<(script|style).*?</\1>", "", part.get_content())
    text = re.sub(r"(?i)<br\s*/?>|</p>|</div>", "\n", text)
    return re.sub(r"<[^>]+>", "", text)


def new_text(text: str, languages: tuple[str, ...] = ("en",)) -> str:
    """What the person wrote above the quote, without greeting and signature."""
    known = [lang for lang in languages if lang in MAIL_LANGUAGES] or ["en"]
    text = text.replace("\r\n", "\n")
    parsed = EmailReplyParser(languages=known).read(text=text)
    if not parsed.replies:
        return text.strip()
    first = parsed.replies[0]
    return (first.body or first.content or "").strip()


def read_mail(raw: bytes, address: str, languages: tuple[str, ...] = ("en",)) -> InboundMail:
    """Parse `raw` as sent to our mailbox `address` (whose +tokens we read)."""
    mail = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(mail, EmailMessage)
    sender = email_address(parseaddr(str(mail.get("From", "")))[1]) or ""  # "" : unanswerable
    message_id = str(mail.get("Message-ID", "")).strip()
    automatic = _automatic(mail, sender)
    try:
        text = "" if automatic else new_text(_plain_text(mail), languages)
    except (LookupError, ValueError):  # an unknown charset: nothing readable
        text = ""
    references = _one_line(f"{mail.get('References', '')} {message_id}")
    return InboundMail(
        _one_line(message_id), sender, _token(mail, address), automatic, text,
        _one_line(str(mail.get("Subject", "")))[:200], references[-2000:],
    )  # fmt: skip


def _one_line(value: str) -> str:
    """A header value as one line: an encoded line break (RFC 2047) must not
    reach the headers of our answer."""
    return " ".join(value.split())
