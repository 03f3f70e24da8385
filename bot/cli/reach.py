"""Wiring for the ways the bot reaches members outside chat: the public web
server (`[web]`), mail out (`[email]`) and replies in (`[email.inbound]`).
Each part is imported only when the config asks for it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.config import Config
from bot.meeting.mail_texts import refused_notice
from bot.ops.health import HealthCheck
from bot.runtime.calendars import load_names
from bot.runtime.core import BotCore
from bot.runtime.router import Reply
from bot.runtime.supervisor import Supervisor
from storage.repo import Repo
from storage.repo_mail import PendingMail


@dataclass
class Reach:
    """What was started: the web server to stop, checks for /healthz."""

    web: object | None = None
    checks: list[HealthCheck] = field(default_factory=list)

    async def stop(self) -> None:
        if self.web is not None:
            await self.web.stop()  # type: ignore[attr-defined]


async def start_reach(config: Config, core: BotCore, tasks: Supervisor) -> Reach:
    core.web = config.web
    reach = Reach()
    if config.web is not None:
        from bot.web.server import WebServer

        reach.web = WebServer(config.web, core)
        await reach.web.start()
    if config.email is not None and config.web is not None:
        reach.checks += _start_mail(config, core, tasks)
    return reach


def _start_mail(config: Config, core: BotCore, tasks: Supervisor) -> list[HealthCheck]:
    from bot.mail.smtp import SmtpSender
    from bot.runtime.mail_outbox import MailOutbox
    from bot.runtime.mailer import Mailer

    email, web = config.email, config.web
    assert email is not None and web is not None
    core.mailer = Mailer(email, web, core.directory, core.link)
    smtp = SmtpSender(email)

    async def tell_chairs(repo: Repo, mail: PendingMail, reason: str, now: datetime) -> None:
        group = core.groups.group(mail.group_id)
        room = core.groups.room_of(mail.group_id)
        if group is None or room is None:
            return
        day = f"mail-refused:{now.date()}"
        if await repo.was_posted(group.id, day, "notice"):
            return  # told once today already: the log and /metrics have the rest
        await repo.record_post(group.id, day, "notice", now)
        names = await load_names(repo, group)
        who = names.of(mail.user_id) if mail.user_id else "the group's list"
        text = refused_notice(mail.kind, who, reason)
        reply = Reply(text, mentions=tuple(group.chairs))
        await core.queue(repo, room, f"{day}:{group.id}", reply)

    outbox = MailOutbox(core.storage, smtp, core.clock, on_refused=tell_chairs)
    core.outbox.companions.append(outbox.wake)
    tasks.start("mail-out", outbox.run)

    async def smtp_problem() -> str | None:
        return outbox.unreachable or await smtp.check()

    checks = [HealthCheck("smtp", smtp_problem)]
    if email.inbound is not None:
        from bot.runtime.mail_inbox import MailInbox

        inbox = MailInbox(core, core.mailer, email.inbound, email.ca_file)
        tasks.start("mail-in", inbox.run)
        checks.append(HealthCheck("imap", inbox.health))
    return checks
