"""The console's own clock, and the scheduler's work done on it.

The console is the whole bot: the agenda a week ahead, the update chase,
the reminders, the due-day action reminders and the auto-close appear in
it at their time. Its clock is the real one plus an offset that `/time`
and `/wait` move forward, so a whole meeting cycle can be tried in
minutes. A jump stops at every moment something falls due on the way (as
if the bot had been running), so nothing is skipped as too late.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from bot.calendar.dates import DateParseError, describe, parse_when
from bot.calendar.timeparse import parse_duration
from bot.config import GroupConfig
from bot.meeting.posts import plan_posts
from bot.runtime.calendars import load_calendar
from bot.runtime.core import BotCore, utc_now
from bot.runtime.housekeeping import DUE_REMINDER_HOUR, Housekeeper
from bot.runtime.poster import Poster

MAX_JUMP = timedelta(days=400)
TICK_SECONDS = 20.0


class ConsoleClock:
    """The real clock plus an offset that only ever grows."""

    def __init__(self, start: datetime | None = None) -> None:
        self.offset = timedelta(0) if start is None else start - utc_now()

    def __call__(self) -> datetime:
        return utc_now() + self.offset

    def set(self, moment: datetime) -> None:
        self.offset = max(self.offset, moment - utc_now())


class ConsoleTime:
    """`/time` and `/wait`, and the catch-up a running bot's scheduler does."""

    def __init__(self, core: BotCore, clock: ConsoleClock, group: GroupConfig) -> None:
        self.core, self.clock, self.group = core, clock, group
        self.poster, self.housekeeper = Poster(core), Housekeeper(core)

    async def catch_up(self) -> None:
        """What is due now: posts, due-day reminders, meetings left open."""
        await self.poster.run_due(self.group.id)
        await self.housekeeper.remind_due_actions(self.group.id)
        await self.housekeeper.close_stale_meetings()
        await self.core.outbox.flush()

    async def tick(self) -> None:
        """While the console waits for input, time passes as it does for a bot."""
        while True:
            await asyncio.sleep(TICK_SECONDS)
            await self.catch_up()

    async def time_command(self, text: str) -> str:
        """`/time 4 December 10:45`: move the clock forward to that moment."""
        try:
            when = parse_when(text, self.group.date_settings, self.clock())
        except DateParseError as exc:
            return f"{exc} The console's clock only moves forward."
        return await self._jump(when.moment)

    async def wait_command(self, text: str) -> str:
        """`/wait 7d`, `/wait 2h30m`: move the clock forward by that long."""
        try:
            span = parse_duration(text, "/wait")
        except ValueError:
            return f"I could not read {text!r} as a length of time; try `/wait 7d`, `/wait 2h30m`."
        return await self._jump(self.clock() + span)

    async def _jump(self, target: datetime) -> str:
        now = self.clock()
        if target <= now:
            return f"That is not later than now ({describe(now)}); the clock only moves forward."
        if target - now > MAX_JUMP:
            return f"At most {MAX_JUMP.days} days at a time; nothing changed."
        for stop in await self._stops(now, target):
            self.clock.set(stop)
            await self.catch_up()
        self.clock.set(target)
        await self.catch_up()
        return f"It is now {describe(self.clock().astimezone(self.group.timezone))}."

    async def _stops(self, now: datetime, target: datetime) -> list[datetime]:
        """Every moment in (now, target) when a running bot would act."""
        announce = self.group.schedule.announce
        async with self.core.storage.transaction() as repo:
            calendar = await load_calendar(repo, self.group)
        stops = set()
        if calendar.cadence is not None:
            for meeting in calendar.between(now, target + announce.agenda_before):
                stops |= {p.due for p in plan_posts(meeting, announce) if now < p.due < target}
                stops.add(meeting.end + self.group.schedule.auto_close)
        day = now.astimezone(self.group.timezone).date()
        while (moment := _reminder_time(self.group, day)) < target:
            if moment > now:
                stops.add(moment)
            day += timedelta(days=1)
        return sorted(s for s in stops if now < s < target)


def _reminder_time(group: GroupConfig, day) -> datetime:
    local = datetime.combine(day, datetime.min.time()).replace(hour=DUE_REMINDER_HOUR)
    return local.replace(tzinfo=group.timezone)
