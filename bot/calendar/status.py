"""What the calendar (and the record) says of a meeting."""

from __future__ import annotations

from enum import StrEnum


class MeetingStatus(StrEnum):
    """A string enum, so stored and serialised values stay the plain words
    they always were."""

    SCHEDULED = "scheduled"
    SKIPPED = "skipped"
    MOVED = "moved"
    ADDED = "added"  # an extra meeting a chair added (`!meeting add`)
    ADHOC = "adhoc"  # a live meeting started away from any scheduled one
