"""Turns the mails a post asks for (`MailPost`) into queued messages.

The mail outbox is written in the transaction that decided the post, like
the chat outbox, and each mail's Message-ID is derived from the post and
its recipient: a post re-run after a crash queues nothing new, and the
sender (`bot.runtime.mail_outbox`) sends each queued mail once.

Who gets what: list mails (agenda, minutes) go to the group's `email`;
personal mails (the chase, actions due) to each person's address on the
roster, never to someone who has asked for quiet (`!quiet` or the mail's
opt-out link, one switch). A personal chase mail's Reply-To carries a token
binding person and meeting, so answering it is sending one's update
(`bot.runtime.mail_inbox`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from bot.calendar.ics import render_entries
from bot.config import GroupConfig
from bot.config.directory import Directory
from bot.config.email import EmailConfig
from bot.config.web import WebConfig
from bot.mail.compose import Envelope, compose, message_id, thread_id
from bot.mail.inbound import InboundMail
from bot.meeting.agenda import short_day
from bot.meeting.people import Names
from bot.meeting.render import escape, to_html, to_plain
from bot.runtime.calendars import load_names
from bot.runtime.feed import entries
from bot.runtime.mail_tokens import OPTOUT, REPLY, issue
from bot.runtime.router import MailPost
from storage.repo import Repo

log = logging.getLogger(__name__)
Link = Callable[[str, str], str | None]


def thread_topic(group: GroupConfig, post: MailPost) -> str:
    """What every mail about one meeting shares: `ALLIES meeting Tue 3 Mar 2026, 11:00 CET`."""
    if post.meeting is None:
        return group.name
    return f"{group.name} meeting {short_day(post.meeting.start)}"


class Mailer:
    def __init__(
        self, email: EmailConfig, web: WebConfig, directory: Directory, link: Link
    ) -> None:
        self.email, self.web, self.directory, self.link = email, web, directory, link

    @property
    def takes_replies(self) -> bool:
        """Whether personal chase mails can be answered (`[email.inbound]`)."""
        return self.email.inbound is not None

    async def queue(self, repo: Repo, posts: Sequence[MailPost], now: datetime) -> int:
        """Queue every mail these posts ask for; return how many are new."""
        queued = 0
        readers: dict[str, tuple[set[str], Names]] = {}  # per group: who is quiet, names
        for post in posts:
            group = self.directory.current.group(post.group_id)
            if group is None:
                continue
            if post.people:
                if group.id not in readers:
                    quiet = await repo.quiet_members(group.id)
                    readers[group.id] = (quiet, await load_names(repo, group))
                queued += await self._personal(repo, group, post, now, *readers[group.id])
            elif group.email:
                queued += await self._to_list(repo, group, post, now)
        return queued

    def _envelope(self, group: GroupConfig, post: MailPost, to: str, **extra) -> Envelope:
        meeting = post.meeting
        root = thread_id(group.id, meeting.key, self.email.domain) if meeting else None
        return Envelope(
            sender=self.email.sender,
            to=to,
            subject=post.subject,
            message_id=message_id(post.key, to, self.email.domain),
            list_id=f"{group.name} <{group.id}.{self.email.domain}>",
            thread=root,
            topic=thread_topic(group, post),
            **extra,
        )

    async def _to_list(self, repo: Repo, group: GroupConfig, post: MailPost, now: datetime) -> int:
        assert group.email is not None
        envelope = self._envelope(group, post, group.email)
        if await repo.mail_queued(envelope.message_id):
            return 0
        invitation = None
        if post.invitation and post.meeting is not None:
            found = await entries(repo, group, [post.meeting], now, self.link)
            invitation = render_entries(
                group.id,
                group.name,
                found,
                call_link=group.schedule.call_link,
                organizer=self.email.sender_address,
            )
        footer = f"Sent by the {group.name} bot to {group.email}."
        mail = compose(
            envelope,
            to_plain(post.markdown),
            to_html(post.markdown),
            footer=footer,
            now=now,
            invitation=invitation,
        )
        return await self._enqueue(repo, group, post, envelope, bytes(mail), None, now)

    async def _personal(
        self,
        repo: Repo,
        group: GroupConfig,
        post: MailPost,
        now: datetime,
        quiet: set[str],
        names: Names,
    ) -> int:
        queued = 0
        for user in post.people:
            address = group.mail_address_of(user)
            if address is None or (user in quiet and not post.asked):
                continue
            if await repo.mail_queued(message_id(post.key, address, self.email.domain)):
                continue  # queued before this restart: no new tokens either
            extra = await self._personal_headers(repo, group, post, user, now)
            envelope = self._envelope(group, post, address, **extra)
            known = names.known.get(user)
            greeting = f"Dear {escape(known)}," if known else "Hello,"  # never "Dear @id"
            footer = self._personal_footer(group, post, extra)
            text = f"{to_plain(greeting)}\n\n{to_plain(post.markdown)}"
            body = to_html(greeting) + to_html(post.markdown)
            mail = compose(envelope, text, body, footer=footer, now=now)
            queued += await self._enqueue(repo, group, post, envelope, bytes(mail), user, now)
        return queued

    @staticmethod
    def _personal_footer(group: GroupConfig, post: MailPost, extra: dict[str, str]) -> str:
        if post.asked:
            return (
                f"You asked for this in {group.name}'s room. If you did not, ignore it: "
                "nothing happens unless the link is opened."
            )
        return (
            f"You get this as a member of {group.name}. To stop these reminders, "
            f"open {extra['unsubscribe']} or send !quiet in the group's room."
        )

    async def _personal_headers(
        self, repo: Repo, group: GroupConfig, post: MailPost, user: str, now: datetime
    ) -> dict[str, str]:
        """The opt-out link (not on a mail the person asked for), and for the
        chase the reply address with its token."""
        if post.asked:
            return {}
        optout = await issue(repo, OPTOUT, group.id, user, now)
        extra = {"unsubscribe": self.web.url(f"/mail/optout/{optout}")}
        inbound = self.email.inbound
        if post.kind == "chase" and inbound is not None and post.meeting is not None:
            token = await issue(
                repo,
                REPLY,
                group.id,
                user,
                now,
                meeting_key=post.meeting.key,
                expires_at=post.meeting.end,
            )
            extra["reply_to"] = inbound.reply_address(token)
        return extra

    async def answer(
        self,
        repo: Repo,
        incoming: InboundMail,
        *,
        group: GroupConfig | None,
        key: str,
        subject: str,
        markdown: str,
        now: datetime,
        user: str | None = None,
    ) -> int:
        """A short answer to a member's mail (confirmation or refusal), in its
        thread, marked auto-replied so their out-of-office stays quiet. `key`
        decides how often: a refusal's names the sender and the day."""
        name = group.name if group else "allies-bot"
        envelope = Envelope(
            sender=self.email.sender,
            to=incoming.sender,
            subject=subject,
            message_id=message_id(key, incoming.sender, self.email.domain),
            list_id=f"{name} <{group.id if group else 'bot'}.{self.email.domain}>",
            auto="auto-replied",
            in_reply_to=incoming.message_id or None,
            references=incoming.references or None,
        )
        if await repo.mail_queued(envelope.message_id):
            return 0
        footer = f"An automatic answer from the {name} bot."
        text, body = to_plain(markdown), to_html(markdown)
        mail = compose(envelope, text, body, footer=footer, now=now)
        added = await repo.enqueue_mail(
            message_id=envelope.message_id,
            group_id=group.id if group else "",
            kind="answer",
            recipient=incoming.sender,
            user_id=user,
            raw=bytes(mail),
            now=now,
        )
        return int(added)

    async def _enqueue(
        self,
        repo: Repo,
        group: GroupConfig,
        post: MailPost,
        envelope: Envelope,
        raw: bytes,
        user: str | None,
        now: datetime,
    ) -> int:
        added = await repo.enqueue_mail(
            message_id=envelope.message_id,
            group_id=group.id,
            kind=post.kind,
            recipient=envelope.to,
            user_id=user,
            raw=raw,
            now=now,
        )
        if added:
            log.info("group %s: %s mail %s queued", group.id, post.kind, envelope.message_id)
        return int(added)
