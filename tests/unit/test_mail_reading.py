"""Reading incoming mail (`bot.mail.inbound`) and writing outgoing mail
(`bot.mail.compose`): machines are recognised by their headers, the token by
our address, the new text without quote and signature; what goes out keeps
member text as text and headers on one line."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage

import pytest

from bot.mail.compose import Envelope, compose, message_id, thread_id
from bot.mail.inbound import new_text, read_mail

ADDRESS = "allies-bot@example.org"
TOKEN = "abcdefghijklmnopqrstuvwx"


def incoming(text: str = "Our update.", *, html: str | None = None, **headers: str) -> bytes:
    mail = EmailMessage()
    mail["From"] = headers.pop("From", "Anna <Anna@Uni.example>")
    mail["To"] = headers.pop("To", f"ALLIES bot <allies-bot+{TOKEN}@Example.org>")
    mail["Subject"] = headers.pop("Subject", "Re: ALLIES meeting: your alliance's update")
    mail["Message-ID"] = "<r1@uni.example>"
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    if html is not None:
        mail.set_content(html, subtype="html")
    else:
        mail.set_content(text)
    return bytes(mail)


def test_a_reply_yields_sender_token_and_the_new_text_only():
    raw = incoming(
        "Two hubs opened.\nA third in spring.\n\nBest regards,\nAnna\n\n-- \nAnna Svensson\n"
        "Lund University\n\nOn Wed, 1 Apr 2026, ALLIES bot <allies-bot@example.org> wrote:\n"
        "> No update from CIVIS has reached …\n"
    )
    mail = read_mail(raw, ADDRESS)
    assert (mail.sender, mail.token, mail.automatic) == ("anna@uni.example", TOKEN, False)
    assert mail.text == "Two hubs opened.\nA third in spring."
    assert mail.references.endswith("<r1@uni.example>")


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto_Submitted": "auto-replied"},
        {"X_Autoreply": "yes"},
        {"Precedence": "bulk"},
        {"Return_Path": "<>"},
        {"From": "MAILER-DAEMON@uni.example"},
        {"Subject": "Automatic reply: ALLIES meeting"},
        {"Subject": "Out of Office: back on Monday"},
    ],
)
def test_machines_are_recognised_and_their_text_is_not_read(headers):
    mail = read_mail(incoming("I am away.", **headers), ADDRESS)
    assert mail.automatic and mail.text == ""


def test_a_person_writing_auto_submitted_no_is_a_person():
    assert not read_mail(incoming(Auto_Submitted="no"), ADDRESS).automatic


@pytest.mark.parametrize(
    "to",
    [
        "allies-bot@example.org",  # no token
        f"other+{TOKEN}@example.org",  # someone else's plus address
        f"allies-bot+{TOKEN}@example.org.evil.example",
        "allies-bot+short@example.org",
    ],
)
def test_only_our_own_address_with_a_token_counts(to):
    assert read_mail(incoming(To=to), ADDRESS).token is None


def test_the_token_may_arrive_in_delivered_to_and_in_capitals():
    raw = incoming(
        To="list@lists.example.org", Delivered_To=f"ALLIES-BOT+{TOKEN.upper()}@example.org"
    )
    assert read_mail(raw, ADDRESS).token == TOKEN


def test_an_html_only_reply_is_read_as_text_without_its_script():
    html = (
        "<div>New <b>catalogue</b></div><script>alert(1)</script><br>"
        "<div>On Tue, 3 Mar 2026, ALLIES bot wrote:</div><blockquote>old</blockquote>"
    )
    mail = read_mail(incoming(html=html), ADDRESS)
    assert mail.text.startswith("New catalogue") and "alert" not in mail.text


def test_other_languages_quote_lines_are_cut():
    german = "Alles gut bei uns.\n\nAm Di., 3. März 2026 um 09:00 Uhr schrieb ALLIES bot:\n> alt\n"
    assert new_text(german, ("de", "en")) == "Alles gut bei uns."


def test_compose_keeps_member_text_as_text_and_threads_the_meeting():
    envelope = Envelope(
        sender="ALLIES bot <allies-bot@example.org>",
        to="anna@uni.example",
        subject="ALLIES meeting Fri 3 Apr 2026, 11:00 CEST: minutes",
        message_id=message_id(
            "minutes:allies:2026-04-03T11:00:r1", "anna@uni.example", "example.org"
        ),
        list_id="ALLIES <allies.example.org>",
        thread=thread_id("allies", "2026-04-03T11:00", "example.org"),
        unsubscribe="https://bot.example.org/mail/optout/t",
    )
    mail = compose(
        envelope, "plain", "<p>&lt;script&gt;x&lt;/script&gt;</p>",
        footer="Sent <to you>", now=datetime(2026, 4, 3, 12, tzinfo=UTC),
    )  # fmt: skip
    assert mail["References"] == mail["In-Reply-To"] == envelope.thread
    assert mail["List-Unsubscribe"] == "<https://bot.example.org/mail/optout/t>"
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert "<script>" not in html and "Sent &lt;to you&gt;" in html
    assert message_id("k", "Anna@Uni.example", "d") == message_id("k", "anna@uni.example", "d")
    with pytest.raises(ValueError):
        compose(
            Envelope(**{**envelope.__dict__, "subject": "Minutes\nBcc: everyone@example.org"}),
            "x", "<p>x</p>", footer="f", now=datetime(2026, 4, 3, 12, tzinfo=UTC),
        )  # fmt: skip


def test_an_encoded_line_break_or_a_foreign_address_cannot_break_the_answer():
    raw = incoming(Subject="=?utf-8?q?Re=3A_update=0ABcc=3A_all=40example=2Eorg?=")
    mail = read_mail(raw, ADDRESS)
    assert "\n" not in mail.subject and mail.subject.startswith("Re: update")
    assert read_mail(incoming(From="Jürgen <jürgen@uni.example>"), ADDRESS).sender == ""
