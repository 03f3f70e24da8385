"""Replies to the chase mail become updates.

For each mail in the reply mailbox (`bot.mail.imap`), in one transaction:
the mail is recorded as processed under its Message-ID (`mail_event_id`),
its outcome is stored (the update, or nothing) and any answer is queued in
the mail outbox. Only then is it moved to the processed folder, so a crash
in between reads it again and changes nothing.

What is accepted: a mail to `address+token@…` whose token is a reply
token still valid, for a meeting that still takes place, from the very
address the chase went to, with some new text within the update limit.
Machines (auto-replies, bounces) get nothing, not even an answer; anything
else gets one polite refusal per sender and day, and nothing is stored.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from bot.config import GroupConfig
from bot.config.email import InboundConfig
from bot.mail.imap import Mailbox
from bot.mail.inbound import InboundMail, read_mail
from bot.meeting.agenda import day_and_time
from bot.meeting.record import was_ended
from bot.meeting.render import escape
from bot.meeting.updates import NO_ALLIANCE, mail_event_id, too_long
from bot.ops.metrics import INBOUND_MAILS
from bot.runtime.calendars import load_calendar
from bot.runtime.core import BotCore
from bot.runtime.mail_tokens import REPLY, redeem
from bot.runtime.mailer import Mailer
from storage.repo import Repo
from storage.repo_mail import StoredMailToken

log = logging.getLogger(__name__)
UNREADABLE = (ValueError, LookupError, UnicodeError, TypeError, AttributeError, IndexError)
REFUSAL = (
    "I could not use your mail as an update: {why}\n\n"
    "Updates by mail work as a reply to your personal reminder, from the address it "
    "was sent to, until the meeting ends. You can always send `!update <text>` in the "
    "group's room."
)

NOTHING_ABOVE_THE_QUOTE = (
    "I found no text above the quoted reminder, so nothing is recorded. "
    "Write your update at the top of your reply."
)


@dataclass(frozen=True)
class Verdict:
    outcome: str  # update, auto_reply, duplicate, refused, too_long, empty
    subject: str = ""
    markdown: str = ""  # the answer, "" for none
    group: GroupConfig | None = None  # whose meeting it was about, once known
    user: str | None = None  # the member it was from, once known (their data)


class MailInbox:
    def __init__(self, core: BotCore, mailer: Mailer, config: InboundConfig, ca_file=None):
        self.core, self.mailer, self.config = core, mailer, config
        self.mailbox = Mailbox(config, ca_file)
        self.problem: str | None = "IMAP: not connected yet"  # for /healthz

    async def run(self) -> None:
        """Read, apply, move, wait; a failure ends this and the supervisor restarts it."""
        try:
            await self.mailbox.open()
            self.problem = None
            while True:
                await self.read_once()
                await self.mailbox.wait_for_news(self.config.poll_seconds)
        except Exception as exc:
            self.problem = f"IMAP: {type(exc).__name__}"
            raise
        finally:
            await self.mailbox.close()

    async def health(self) -> str | None:
        return self.problem

    async def read_once(self) -> int:
        """Apply every waiting mail; return how many were read."""
        waiting = await self.mailbox.waiting()
        for uid, raw in waiting:
            try:
                outcome = await self.apply(raw)
            except UNREADABLE:
                # a mail we cannot make sense of must not hold up every later
                # one: it goes to the processed folder unanswered (kept there);
                # a database error is not its fault and restarts the reader
                log.warning("mail uid %s could not be read; moved aside", uid, exc_info=True)
                outcome = "unreadable"
            INBOUND_MAILS.labels(outcome).inc()
            await self.mailbox.move_to_processed(uid)
        if waiting:
            self.mailer_wake()
        return len(waiting)

    def mailer_wake(self) -> None:
        self.core.outbox.wake()  # wakes the mail outbox too (its companion)

    async def apply(self, raw: bytes) -> str:
        served = self.core.groups.served()
        languages = tuple(sorted({lang for g in served for lang in g.schedule.languages}))
        mail = read_mail(raw, self.config.address, languages or ("en",))
        if mail.automatic or not mail.sender:  # a machine, or no address to answer
            log.info("mail %s is automatic or has no usable sender: ignored", mail.message_id)
            return "ignored"
        event_id = mail_event_id(mail.message_id or raw[:4096].hex())
        outcome = "duplicate"

        async def work(repo: Repo) -> None:
            nonlocal outcome
            if await repo.is_processed(event_id):
                return
            now = self.core.clock()
            verdict = await self._judge(repo, mail, event_id)
            await repo.mark_processed(event_id, "mail", "mail", now)
            outcome = verdict.outcome
            if verdict.markdown:
                key = f"answer:{event_id}"
                if verdict.outcome == "refused":  # one refusal per sender and day
                    key = f"refusal:{mail.sender}:{now.date()}"
                await self.mailer.answer(
                    repo,
                    mail,
                    group=verdict.group,
                    key=key,
                    subject=verdict.subject,
                    markdown=verdict.markdown,
                    now=now,
                    user=verdict.user,
                )

        await self.core.storage.run_in_transaction(work)
        self.core.record_changed()
        log.info("mail %s: %s", mail.message_id, outcome)
        return outcome

    async def _judge(self, repo: Repo, mail: InboundMail, event_id: str) -> Verdict:
        now = self.core.clock()
        token = await redeem(repo, REPLY, mail.token or "", now)
        group = self.core.groups.group(token.group_id) if token else None
        if token is None or group is None:
            return _refusal("its address is not (or no longer) one of my reply addresses.")
        if group.mail_address_of(token.user_id) != mail.sender:
            return _refusal("it does not come from the address the reminder was sent to.")
        meeting = await self._meeting(repo, group, token)
        if meeting is None:
            return _refusal("that meeting is over or was cancelled.")
        subject = f"Re: {mail.subject}" if mail.subject else f"{group.name}: your update"
        if not mail.text:
            return Verdict("empty", subject, NOTHING_ABOVE_THE_QUOTE, group, token.user_id)
        if (answer := too_long(mail.text)) is not None:
            return Verdict(
                "too_long", subject, f"{answer} Nothing is recorded.", group, token.user_id
            )
        stored = await repo.add_update(
            group_id=group.id,
            period=token.meeting_key or "",
            sender=token.user_id,
            alliance=group.alliance_of(token.user_id) or NO_ALLIANCE,
            text=mail.text,
            event_id=event_id,
            now=now,
        )
        quoted = "\n".join(f"> {line}" for line in escape(stored.text).splitlines())
        return Verdict(
            "update",
            subject,
            f"Thanks, your update for {escape(stored.alliance)} is recorded for the "
            f"{escape(group.name)} meeting of {day_and_time(meeting.start)}. It reads:\n\n"
            f"{quoted}\n\nTo add to it, reply again or use `!update` in the room.",
            group,
            token.user_id,
        )

    async def _meeting(self, repo: Repo, group: GroupConfig, token: StoredMailToken):
        """The token's meeting, while it still takes place and has not ended
        (by its scheduled end, or by its chair's `!endmeeting`)."""
        now = self.core.clock()
        calendar = await load_calendar(repo, group)
        if was_ended(await repo.last_session(group.id), token.meeting_key):
            return None
        for meeting in calendar.between(now - timedelta(days=2), now + timedelta(days=400)):
            if meeting.key == token.meeting_key and meeting.end > now:
                return meeting
        return None


def _refusal(why: str) -> Verdict:
    return Verdict("refused", "Your mail to the meeting bot", REFUSAL.format(why=why))
