"""Sends the queued mails, exactly once, as the chat outbox sends messages.

Each mail was queued (`bot.runtime.mailer`) in the transaction that decided
it. This task hands due mails to the SMTP server in batches over one
connection and records each outcome:

- accepted: marked sent (and its body dropped), never sent again;
- 4xx: tried again later, backing off (`retry_delay`), given up after
  `MAX_TEMPORARY` such answers;
- 5xx: final. Logged, counted in /metrics, and the group's chairs are told
  once a day in the room (`on_refused`);
- the server unreachable: the whole batch waits, backing off, and no mail
  is charged for it, so an outage of any length loses nothing.

Each outcome is recorded before the next mail is sent, so a crash after
the server accepted a mail but before it was marked sent sends that one
mail again after the restart, under the same Message-ID: the window is one
SMTP transaction long (docs/email-and-feeds.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot.mail.smtp import Delivery, Outcome, ServerUnreachable, SmtpSender
from bot.ops.metrics import MAILS
from storage.db import Storage
from storage.repo import Repo
from storage.repo_mail import PendingMail

log = logging.getLogger(__name__)
BATCH = 50
MAX_TEMPORARY = 20  # 4xx answers before a mail is given up (about 4 hours of backoff)
FIRST_RETRY_S, LONGEST_RETRY_S = 5.0, 900.0
IDLE_POLL_S = 60.0
Refused = Callable[[Repo, PendingMail, str, datetime], Awaitable[None]]


def retry_delay(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s … up to 15 minutes: quick over a blip, patient over an outage."""
    return timedelta(seconds=min(FIRST_RETRY_S * 2 ** max(attempts, 0), LONGEST_RETRY_S))


class MailOutbox:
    def __init__(
        self,
        storage: Storage,
        smtp: SmtpSender,
        clock: Callable[[], datetime],
        on_refused: Refused | None = None,
    ) -> None:
        self.storage, self.smtp, self.clock = storage, smtp, clock
        self.on_refused = on_refused
        self._wake = asyncio.Event()
        self._outage = 0  # flushes in a row that found the server unreachable
        self.unreachable: str | None = None  # why the last flush could not connect (/healthz)

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Send until cancelled: woken by new mail, else at the next mail's time."""
        while True:
            self._wake.clear()
            await self.flush()
            wait = await self._next_wait()  # first: a cancel here leaves no coroutine behind
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    async def _next_wait(self) -> float:
        async with self.storage.transaction() as repo:
            due = await repo.next_mail_at()
        if due is None:
            return IDLE_POLL_S
        return min(max((due - self.clock()).total_seconds(), 0.05), IDLE_POLL_S)

    async def flush(self) -> int:
        """Send what is due now; return how many the server accepted."""
        accepted = 0
        while batch := await self._due():
            settled: set[int] = set()

            async def settle(index: int, outcome: Outcome, batch=batch, settled=settled) -> None:
                nonlocal accepted
                await self._record(batch[index], outcome)
                settled.add(index)
                accepted += outcome.delivery is Delivery.SENT

            try:
                await self.smtp.send([(m.recipient, m.raw) for m in batch], settle)
            except ServerUnreachable as exc:
                waiting = [m for i, m in enumerate(batch) if i not in settled]
                await self._server_down(waiting, str(exc))
                return accepted
            self._outage, self.unreachable = 0, None
            if len(batch) < BATCH:
                break
        return accepted

    async def _due(self) -> list[PendingMail]:
        async with self.storage.transaction() as repo:
            return await repo.due_mails(self.clock(), BATCH)

    async def _server_down(self, batch: list[PendingMail], reason: str) -> None:
        if self.unreachable is None:
            log.warning("SMTP server unreachable (%s); %d mails wait", reason, len(batch))
        self.unreachable = reason
        later = self.clock() + retry_delay(self._outage)
        self._outage += 1
        async with self.storage.transaction() as repo:
            for mail in batch:
                await repo.postpone_mail(mail.id, later)

    async def _record(self, mail: PendingMail, outcome: Outcome) -> None:
        """One mail's outcome, in its own transaction, before the next is sent."""
        now = self.clock()

        async def work(repo: Repo) -> None:
            await self._settle(repo, mail, outcome, now)

        await self.storage.run_in_transaction(work)
        MAILS.labels(mail.kind, _label(mail, outcome)).inc()

    async def _settle(self, repo: Repo, mail: PendingMail, outcome: Outcome, now: datetime) -> None:
        if outcome.delivery is Delivery.SENT:
            await repo.mark_mail_sent(mail.id, now)
            log.info("mail %s (%s) sent", mail.message_id, mail.kind)
        elif outcome.delivery is Delivery.RETRY and mail.attempts + 1 < MAX_TEMPORARY:
            await repo.mark_mail_retry(mail.id, outcome.reason, now + retry_delay(mail.attempts))
            log.info("mail %s deferred by the server: %s", mail.message_id, outcome.reason)
        else:
            await repo.mark_mail_failed(mail.id, outcome.reason)
            log.warning("mail %s refused for good: %s", mail.message_id, outcome.reason)
            if self.on_refused is not None:
                await self.on_refused(repo, mail, outcome.reason, now)


def _label(mail: PendingMail, outcome: Outcome) -> str:
    if outcome.delivery is Delivery.SENT:
        return "sent"
    if outcome.delivery is Delivery.RETRY and mail.attempts + 1 < MAX_TEMPORARY:
        return "retry"
    return "refused"
