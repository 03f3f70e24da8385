"""Which automatic posts a meeting gets, when, and whether a late one is still useful.

Pure: the scheduler only wakes up at the due times; this module decides.
Keeping the decision here (with `now` as a parameter) makes "never twice,
never stale, never at the wrong hour" testable without waiting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from bot.calendar.cadence import Meeting, MeetingStatus
from bot.config.schedule import Announce


class Decision(Enum):
    WAIT = "wait"  # not due yet
    SEND = "send"  # due, and still useful
    STALE = "stale"  # due, but too late to be useful: skip it


@dataclass(frozen=True)
class PlannedPost:
    """One automatic post for one meeting. `kind` is stable across restarts
    and config edits of other offsets: `agenda`, `chase`, `reminder:15m`."""

    kind: str
    due: datetime
    meeting: Meeting

    @property
    def is_reminder(self) -> bool:
        return self.kind.startswith("reminder:")


def post_meeting_id(meeting: Meeting) -> str:
    """The meeting part of a post's identity. A moved meeting keeps its key
    (its updates stay with it) but gets fresh posts for its new time."""
    if meeting.status != MeetingStatus.MOVED:
        return meeting.key
    return f"{meeting.key}>{meeting.start.replace(tzinfo=None):%Y-%m-%dT%H:%M}"


def post_key(group_id: str, meeting: Meeting, kind: str) -> str:
    """The outbox key of an automatic post: its messages' and mails' identity
    (the feed finds the agenda post's link by it)."""
    return f"post:{group_id}:{post_meeting_id(meeting)}:{kind}"


def offset_label(offset: timedelta) -> str:
    """`1d`, `15m`, `1d2h`: the canonical spelling used in post kinds."""
    total = int(offset.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if total >= size:
            parts.append(f"{total // size}{unit}")
            total %= size
    return "".join(parts) or "0m"


def plan_posts(meeting: Meeting, announce: Announce) -> list[PlannedPost]:
    """Every post a meeting that takes place gets, in due order."""
    if meeting.status == "skipped":
        return []
    posts = [PlannedPost("agenda", meeting.start - announce.agenda_before, meeting)]
    if announce.chase_updates is not None:
        posts.append(PlannedPost("chase", meeting.start - announce.chase_updates, meeting))
    for offset in announce.reminders:
        posts.append(
            PlannedPost(f"reminder:{offset_label(offset)}", meeting.start - offset, meeting)
        )
    return sorted(posts, key=lambda post: post.due)


def decide(post: PlannedPost, now: datetime, grace: timedelta) -> Decision:
    """An agenda is useful until the meeting starts; a reminder or the chase
    only within `grace` of its due time and before the meeting starts."""
    if now < post.due:
        return Decision.WAIT
    if now >= post.meeting.start:
        return Decision.STALE
    if post.kind != "agenda" and now > post.due + grace:
        return Decision.STALE
    return Decision.SEND


def superseded(posts: list[PlannedPost], now: datetime) -> set[str]:
    """Reminders made pointless by a later one that is also due now: after a
    long outage, send only the nearest reminder, not `1d` and `15m` at once."""
    due_reminders = [p for p in posts if p.is_reminder and p.due <= now]
    if len(due_reminders) < 2:
        return set()
    latest = max(due_reminders, key=lambda post: post.due)
    return {p.kind for p in due_reminders if p is not latest}
