"""Automatic posts before meetings: agenda, reminders, the update chase.

APScheduler only wakes the bot at due times (deterministic job ids, so a
reschedule replaces instead of duplicating). What to send is decided by
`run_due` from the calendar, the clock and the `scheduled_posts` table, in the
transaction that queues the post: a post is sent exactly once, also when a
job fires twice, the bot restarts, or it was down when the post fell due.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import replace
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.config import GroupConfig
from bot.config.roster import Member
from bot.meeting.agenda import render_chase, render_reminder
from bot.meeting.mail_texts import chase_mail, meeting_subject
from bot.meeting.permalinks import meeting_url
from bot.meeting.posts import (
    Decision,
    PlannedPost,
    decide,
    plan_posts,
    post_key,
    post_meeting_id,
    superseded,
)
from bot.meeting.record import was_ended
from bot.meeting.render import plural
from bot.ops.metrics import POSTS, post_kind
from bot.runtime.agenda_data import agenda_text
from bot.runtime.calendars import load_calendar, load_names
from bot.runtime.core import BotCore
from bot.runtime.router import MailPost, Reply
from storage.repo import Repo

log = logging.getLogger(__name__)
JOB_WINDOW = timedelta(days=60)
REFRESH_HOURS = 6


def lead_text(until_start: timedelta) -> str:
    """How far away the meeting is, as a person would say it."""
    minutes = max(1, round(until_start.total_seconds() / 60))
    if minutes < 90:
        return f"in {plural(minutes, 'minute')}"
    hours = round(minutes / 60)
    if hours < 20:
        return f"in {hours} hours"
    days = round(hours / 24)
    return "tomorrow" if days == 1 else f"in {days} days"


class Poster:
    def __init__(self, core: BotCore, scheduler: AsyncIOScheduler | None = None) -> None:
        self.core = core
        self.scheduler = scheduler
        self._logged_stale: set[tuple[str, str, str]] = set()
        # Single flight per group: two jobs due in the same second (an agenda
        # and a reminder) would otherwise race to record the same post.
        self._running: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def start(self) -> None:
        """Catch up on what fell due while the bot was down, then schedule."""
        assert self.scheduler is not None
        self.core.calendar_listeners.append(self.refresh_group)
        self.scheduler.add_job(
            self.refresh_all, "interval", hours=REFRESH_HOURS, id="refresh", replace_existing=True
        )
        self.scheduler.start()
        await self.refresh_all()

    async def refresh_all(self) -> None:
        for group in self.core.groups.served():
            await self.refresh_group(group.id)

    async def refresh_group(self, group_id: str) -> None:
        await self.run_due(group_id)
        await self.reschedule(group_id)

    async def reschedule(self, group_id: str) -> None:
        """Replace this group's wake-up jobs with the current calendar's (none
        once the cadence is gone, or the group). Jobs carry the group's id:
        each looks the group up when it runs, so a reload is seen."""
        if self.scheduler is None:
            return
        prefix = f"post:{group_id}:"
        for job in self.scheduler.get_jobs():
            if job.id.startswith(prefix):
                job.remove()
        group = self.core.groups.group(group_id)
        if group is None or group.schedule.cadence is None:
            return
        now = self.core.clock()
        async with self.core.storage.transaction() as repo:
            calendar = await load_calendar(repo, group)
        count = 0
        for meeting in calendar.between(now, now + JOB_WINDOW):
            for post in plan_posts(meeting, group.schedule.announce):
                if post.due > now:
                    self.scheduler.add_job(
                        self.run_due,
                        "date",
                        run_date=post.due,
                        args=[group.id],
                        id=f"{prefix}{meeting.key}:{post.kind}",
                        replace_existing=True,
                        misfire_grace_time=None,
                        coalesce=True,
                    )
                    count += 1
        log.info("group %s: %d automatic posts scheduled", group.id, count)

    async def run_due(self, group_id: str) -> list[str]:
        """Queue every post that is due and still useful; return their kinds.
        Runs for one group one at a time; a run that waited finds the posts
        of the run before it recorded."""
        group = self.core.groups.group(group_id)
        room = self.core.groups.room_of(group_id)
        if group is None or room is None or group.schedule.cadence is None:
            return []
        async with self._running[group_id]:
            return await self._run_due(group, room)

    async def _run_due(self, group: GroupConfig, room: str) -> list[str]:
        sent: list[str] = []
        counted: list[tuple[str, str]] = []  # (kind, sent|late) for /metrics, after the commit

        async def work(repo: Repo) -> None:
            sent.clear()
            counted.clear()
            now = self.core.clock()
            announce = group.schedule.announce
            reach = max(
                [
                    announce.agenda_before,
                    *announce.reminders,
                    announce.chase_updates or timedelta(0),
                ]
            )
            calendar = await load_calendar(repo, group)
            for meeting in calendar.between(now, now + reach):
                posts = plan_posts(meeting, announce)
                pointless = superseded(posts, now)
                for post in posts:
                    if await self._post_if_due(repo, group, room, post, now, pointless):
                        sent.append(f"{post_meeting_id(meeting)}:{post.kind}")
                        late = now - post.due > timedelta(minutes=1)
                        counted.append((post_kind(post.kind), "late" if late else "sent"))

        await self.core.storage.run_in_transaction(work)
        for labels in counted:
            POSTS.labels(*labels).inc()
        if sent:
            self.core.outbox.wake()
        return sent

    async def _post_if_due(
        self,
        repo: Repo,
        group: GroupConfig,
        room: str,
        post: PlannedPost,
        now: datetime,
        pointless: set[str],
    ) -> bool:
        decision = decide(post, now, group.schedule.announce.grace)
        meeting_id = post_meeting_id(post.meeting)
        if decision is Decision.WAIT or await repo.was_posted(group.id, meeting_id, post.kind):
            return False
        if decision is Decision.STALE or post.kind in pointless:
            self._log_stale(group, post, now)
            return False
        reply = await self._content(repo, group, post, now)
        await repo.record_post(group.id, meeting_id, post.kind, now)
        if reply is not None:
            await self.core.queue(repo, room, post_key(group.id, post.meeting, post.kind), reply)
        late = now - post.due
        log.info(
            "group %s: %s for %s posted%s",
            group.id,
            post.kind,
            post.meeting.key,
            f" late by {late}" if late > timedelta(minutes=1) else "",
        )
        return reply is not None

    def _log_stale(self, group: GroupConfig, post: PlannedPost, now: datetime) -> None:
        marker = (group.id, post.meeting.key, post.kind)
        if marker not in self._logged_stale:
            self._logged_stale.add(marker)
            POSTS.labels(post_kind(post.kind), "skipped").inc()
            log.info(
                "group %s: %s for %s skipped, too late to be useful (due %s, now %s)",
                group.id,
                post.kind,
                post.meeting.key,
                post.due,
                now,
            )

    async def _content(
        self, repo: Repo, group: GroupConfig, post: PlannedPost, now: datetime
    ) -> Reply | None:
        meeting, schedule = post.meeting, group.schedule
        if post.kind != "agenda" and was_ended(await repo.last_session(group.id), meeting.key):
            return None  # held early and ended by its chair: no reminder, no chase
        if post.kind == "agenda":
            text = await agenda_text(
                repo, group, meeting, now, draft=False, link=self.core.link, web=self.core.web
            )
            if self.core.web is not None:  # the meeting's page in the archive
                calendar = await load_calendar(repo, group)
                text += f"\n\nOn the web: {meeting_url(self.core.web, group.id, meeting, calendar)}"
            subject = meeting_subject(group.name, meeting, "agenda")
            mail = MailPost(
                "agenda",
                group.id,
                post_key(group.id, post.meeting, post.kind),
                subject,
                text,
                meeting,
            )
            return Reply(text, mails=(replace(mail, invitation=True),))
        updates = await repo.updates_for(group.id, meeting.key)
        if post.kind == "chase":
            missing = await self._missing(repo, group, {u.alliance for u in updates})
            if not missing:
                return None
            names = await load_names(repo, group)
            by_alliance: dict[str, list[str]] = {}
            for person in missing:
                alliance = group.alliance_of(person) or "no alliance"
                by_alliance.setdefault(alliance, []).append(person)
            text = render_chase(group.name, meeting, by_alliance, names)
            mails = self._chase_mails(group, post, missing)
            return Reply(text, mentions=tuple(missing), mails=mails)
        lead = lead_text(meeting.start - now)
        covered = {u.alliance for u in updates}
        every = bool(group.members) and not _uncovered(group, covered)
        text = render_reminder(group.name, meeting, schedule.call_link, lead, len(updates), every)
        return Reply(text)

    def _chase_mails(
        self, group: GroupConfig, post: PlannedPost, missing: list[str]
    ) -> tuple[MailPost, ...]:
        """The chase for each roster person of a silent alliance, by mail (the
        mailer leaves out whoever has no address or asked for quiet)."""
        by_reply = self.core.mailer is not None and self.core.mailer.takes_replies
        subject = meeting_subject(group.name, post.meeting, "your alliance's update")
        return tuple(
            MailPost(
                "chase",
                group.id,
                post_key(group.id, post.meeting, post.kind),
                subject,
                chase_mail(group.name, post.meeting, member.alliance, by_reply=by_reply),
                post.meeting,
                people=(member.user,),
            )
            for member in group.members
            if member.user in missing
        )

    async def _missing(self, repo: Repo, group: GroupConfig, covered: set[str]) -> list[str]:
        """Members whose alliance has sent no update yet, minus those who opted out."""
        quiet = await repo.quiet_members(group.id)
        return [m.user for m in _uncovered(group, covered) if m.user not in quiet]


def _uncovered(group: GroupConfig, covered: set[str]) -> list[Member]:
    """Roster members whose alliance has sent no update (`covered`: those that have)."""
    return [m for m in group.members if m.alliance not in covered]
