"""A group's calendar as subscribers see it: its entries (meetings with their
revisions, `bot.calendar.revisions`) and the feed built from them.

The feed and the invitation mailed with the agenda ask `entries` for the
same meetings, so the two always carry the same UID and SEQUENCE. Building
the body is skipped when a client's ETag still matches (`Feed.etag` hashes
the entries, not the text), which is what keeps a 304 cheap.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from dateutil.relativedelta import relativedelta

from bot.calendar.cadence import Meeting
from bot.calendar.ics import Entry, render_entries
from bot.calendar.revisions import revise
from bot.config import GroupConfig
from bot.config.web import WebConfig
from bot.meeting.posts import post_key
from bot.runtime.calendars import load_calendar
from bot.runtime.outbox_writer import txn_id_for
from storage.repo import Repo

Link = Callable[[str, str], str | None]  # (group id, message id) -> a link to it
_BODIES: OrderedDict[str, bytes] = OrderedDict()  # ETag -> feed body, the latest few
_KEEP_BODIES = 32


def feed_url(web: WebConfig, token: str, group_id: str) -> str:
    """The feed's https address (`bot.web.server` serves it)."""
    return web.url(f"/calendar/{token}/{group_id}.ics")


async def entries(
    repo: Repo, group: GroupConfig, meetings: Sequence[Meeting], now: datetime, link: Link
) -> list[Entry]:
    """These meetings as calendar entries; a changed meeting's new revision
    is stored in the same transaction, so the next reader sees the same."""
    stored = await repo.feed_revisions(group.id)
    context = f"{group.name}\0{group.schedule.call_link or ''}"
    revised = {m.key: revise(stored.get(m.key), m, now, context) for m in meetings}
    changed = {key: rev for key, rev in revised.items() if stored.get(key) != rev}
    if changed:
        await repo.save_revisions(group.id, changed)
    txn_ids = {m.key: txn_id_for(post_key(group.id, m, "agenda"), 0) for m in meetings}
    posted = await repo.remote_event_ids(list(txn_ids.values()))
    result = []
    for meeting in meetings:
        remote = posted.get(txn_ids[meeting.key])
        agenda = link(group.id, remote) if remote else None
        result.append(Entry(meeting, revised[meeting.key], agenda))
    return result


@dataclass(frozen=True)
class Feed:
    etag: str  # a strong ETag, quoted
    last_modified: datetime
    entries: tuple[Entry, ...]
    group: GroupConfig

    def body(self) -> bytes:
        """The feed's text, built once per ETag (a few kept in memory)."""
        cached = _BODIES.get(self.etag)
        if cached is None:
            text = render_entries(
                self.group.id,
                self.group.name,
                self.entries,
                call_link=self.group.schedule.call_link,
            )
            cached = _BODIES[self.etag] = text.encode("utf-8")
            while len(_BODIES) > _KEEP_BODIES:
                _BODIES.popitem(last=False)
        return cached


async def group_feed(
    repo: Repo, group: GroupConfig, web: WebConfig, now: datetime, link: Link
) -> Feed:
    """The feed's window: `feed_months_past` back to `feed_months_ahead` on,
    skipped meetings included (as CANCELLED)."""
    calendar = await load_calendar(repo, group)
    start = now - relativedelta(months=web.feed_months_past)
    end = now + relativedelta(months=web.feed_months_ahead)
    meetings = calendar.between(start, end, include_skipped=True)
    found = await entries(repo, group, meetings, now, link)
    identity = repr((group.id, group.name, group.schedule.call_link, found))
    etag = '"' + hashlib.sha256(identity.encode()).hexdigest()[:32] + '"'
    modified = max((entry.revision.modified for entry in found), default=now)
    return Feed(etag, modified, tuple(found), group)
