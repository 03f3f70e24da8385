"""One outgoing mail as an RFC 5322 message: plain text and HTML, headers
that keep mail clients and mailing lists sensible, an invitation attached.

Why these headers:
- `Message-ID` is deterministic per post and recipient (`message_id`), so a
  resend after a crash is recognisably the same mail.
- `In-Reply-To`/`References` name the meeting's thread root, so one
  meeting's agenda, reminders and minutes thread together in Outlook and
  Thunderbird.
- `Auto-Submitted: auto-generated` (RFC 3834) keeps out-of-office replies
  away; `List-Id` (RFC 2919) lets people filter; `List-Unsubscribe` with
  `List-Unsubscribe-Post` is RFC 8058's one-click opt-out.

Pure: the HTML and text bodies come in ready (member text already escaped
by whoever rendered them); nothing here reads the clock.
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

_STYLE = (
    "font-family:Segoe UI,Helvetica,Arial,sans-serif;font-size:15px;line-height:1.45;"
    "color:#1b1b1b;max-width:640px"
)
_FOOTER_STYLE = (
    "font-size:12px;color:#555;border-top:1px solid #ddd;margin-top:24px;padding-top:8px"
)


def message_id(key: str, recipient: str, domain: str) -> str:
    """`<hash@domain>`, the same for the same post to the same person, always."""
    digest = hashlib.sha256(f"{key}\0{recipient.lower()}".encode()).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def thread_id(group_id: str, meeting_key: str, domain: str) -> str:
    """The Message-ID every mail about one meeting refers to (the agenda's, to the list)."""
    return message_id(f"thread:{group_id}:{meeting_key}", "", domain)


@dataclass(frozen=True)
class Envelope:
    """Everything about a mail but its bodies."""

    sender: str  # `Name <address>`
    to: str
    subject: str
    message_id: str
    list_id: str  # `Group name <group.example.org>`
    thread: str | None = None  # the thread root's Message-ID
    reply_to: str | None = None
    unsubscribe: str | None = None  # the one-click opt-out URL
    auto: str = "auto-generated"  # `auto-replied` for answers to a member's mail
    in_reply_to: str | None = None  # a member's mail this answers (overrides `thread`)
    topic: str | None = None  # Thread-Topic: what Outlook's conversation view groups by
    references: str | None = None  # the chain of the mail answered (else the parent alone)


def _html_document(body_html: str, footer: str, title: str) -> str:
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>"
        f'<body><div style="{_STYLE}">{body_html}'
        f'<p style="{_FOOTER_STYLE}">{html.escape(footer)}</p></div></body></html>'
    )


def compose(
    envelope: Envelope,
    text: str,
    body_html: str,
    *,
    footer: str,
    now: datetime,
    invitation: str | None = None,
) -> EmailMessage:
    """The mail: multipart/alternative (text, HTML, and the invitation as
    text/calendar METHOD:REQUEST, the part Outlook shows as an invitation),
    with the invitation also attached as `invite.ics` for other clients."""
    mail = EmailMessage()
    mail["From"] = envelope.sender
    mail["To"] = envelope.to
    mail["Subject"] = envelope.subject
    mail["Date"] = format_datetime(now)
    mail["Message-ID"] = envelope.message_id
    mail["Auto-Submitted"] = envelope.auto
    mail["List-Id"] = envelope.list_id
    parent = envelope.in_reply_to or envelope.thread
    if parent and parent != envelope.message_id:
        mail["In-Reply-To"] = parent
        mail["References"] = envelope.references or parent
    if envelope.topic:
        mail["Thread-Topic"] = envelope.topic
    if envelope.reply_to:
        mail["Reply-To"] = envelope.reply_to
    if envelope.unsubscribe:
        mail["List-Unsubscribe"] = f"<{envelope.unsubscribe}>"
        mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    mail.set_content(f"{text}\n\n-- \n{footer}\n")
    mail.add_alternative(_html_document(body_html, footer, envelope.subject), subtype="html")
    if invitation is not None:
        mail.add_alternative(invitation, subtype="calendar", params={"method": "REQUEST"})
        mail.make_mixed()
        mail.add_attachment(
            invitation.encode(), maintype="application", subtype="ics", filename="invite.ics"
        )
    return mail
