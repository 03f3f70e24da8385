"""Time-driven chores besides the meeting posts: reminding action owners on
their due day (once) and closing live meetings left open.

Like the poster, jobs only wake the bot; each chore decides and records in
the transaction that queues its message, so it happens exactly once.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.config.problems import person_id
from bot.meeting.actions import owners_text
from bot.meeting.agenda import describe_meeting, mention
from bot.meeting.live import session_meeting
from bot.meeting.mail_texts import due_mail
from bot.meeting.render import escape, plural
from bot.runtime.calendars import load_names
from bot.runtime.core import BotCore
from bot.runtime.router import MailPost, Reply
from storage.repo import Repo

log = logging.getLogger(__name__)
DUE_REMINDER_HOUR = 9  # local time on the due day
CLOSE_CHECK_MINUTES = 5
AUTO_CLOSER = "allies-bot"


class Housekeeper:
    def __init__(self, core: BotCore, scheduler: AsyncIOScheduler | None = None) -> None:
        self.core = core
        self.scheduler = scheduler

    async def start(self) -> None:
        """Plan the daily reminders per group (by id: the job looks the group
        up when it runs) and the auto-close check, and run both once now."""
        assert self.scheduler is not None
        for group in self.core.groups.served():
            self.scheduler.add_job(
                self.remind_due_actions,
                "cron",
                hour=DUE_REMINDER_HOUR,
                timezone=group.timezone,
                args=[group.id],
                id=f"actions:{group.id}",
                replace_existing=True,
            )
        self.scheduler.add_job(
            self.close_stale_meetings,
            "interval",
            minutes=CLOSE_CHECK_MINUTES,
            id="auto-close",
            replace_existing=True,
        )
        await self.close_stale_meetings()
        for group in self.core.groups.served():
            await self.remind_due_actions(group.id)

    async def remind_due_actions(self, group_id: str) -> int:
        """Mention the owners of actions due today, once per action and day."""
        group, room = self.core.groups.group(group_id), self.core.groups.room_of(group_id)
        if group is None or room is None:
            return 0
        now = self.core.clock()
        local = now.astimezone(group.timezone)
        if local.hour < DUE_REMINDER_HOUR:
            return 0
        sent = 0

        async def work(repo: Repo) -> None:
            nonlocal sent
            sent = 0
            names = await load_names(repo, group)
            for action in await repo.actions(group.id):
                post_kind = f"due:{action.due}"
                if action.due != local.date() or await repo.was_posted(
                    group.id, f"action-{action.id}", post_kind
                ):
                    continue
                await repo.record_post(group.id, f"action-{action.id}", post_kind, now)
                # owners who are people on the network (not a name typed) are mentioned
                users = tuple(o for o in action.owners if person_id(o, group.network) == o)
                who = ", ".join(
                    mention(o, names.of(o)) if o in users else owners_text([o], names)
                    for o in action.owners
                )
                text = (
                    f"Due today: action #{action.id}, {escape(action.text)} ({who}). "
                    f"`!done {action.id}` closes it."
                )
                key = f"due:{group.id}:{action.id}:{action.due}"
                mail = MailPost(
                    "due",
                    group.id,
                    key,
                    f"{group.name}: action #{action.id} is due today",
                    due_mail(action.id, action.text, action.due),
                    people=users,
                )
                await self.core.queue(repo, room, key, Reply(text, mentions=users, mails=(mail,)))
                sent += 1

        await self.core.storage.run_in_transaction(work)
        if sent:
            self.core.outbox.wake()
            log.info("group %s: %d due-day action reminders", group.id, sent)
        return sent

    async def close_stale_meetings(self) -> int:
        """End live meetings still open `auto_close` after their scheduled end."""
        now = self.core.clock()
        directory = self.core.groups
        closed = 0

        async def work(repo: Repo) -> None:
            nonlocal closed
            closed = 0
            for group_id, session in await repo.sessions_due_to_close(now):
                group, room = directory.group(group_id), directory.room_of(group_id)
                if group is None or room is None:
                    continue
                await repo.end_session(session.id, AUTO_CLOSER, now)
                meeting = session_meeting(session, group.timezone)
                late = group.schedule.auto_close
                text = (
                    f"The meeting of {describe_meeting(meeting)} was still open "
                    f"{_hours(late)} after its end, so I closed it. `!minutes` posts the minutes."
                )
                await self.core.queue(
                    repo, room, f"auto-close:{group_id}:{session.id}", Reply(text)
                )
                closed += 1

        await self.core.storage.run_in_transaction(work)
        if closed:
            self.core.outbox.wake()
            log.info("closed %s left open", plural(closed, "meeting"))
        return closed


def _hours(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:g} hour" if hours == 1 else f"{hours:g} hours"
