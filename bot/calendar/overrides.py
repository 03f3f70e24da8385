"""A chair's changes to the calendar (skip, move, add, unskip) and how they
fold over the meetings the cadence gives, in the order they were made.

Pure, like `bot.calendar.cadence`, which asks `resolve` for every meeting
list; kept apart because what a chair's sequence of changes means (a skip
keeps the time it cancelled, an unskip brings that back) is a rule of its own.
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.calendar.status import MeetingStatus

OverrideKind = Literal["skip", "move", "add", "unskip"]
_OVERRIDE_FIELDS = {
    "skip": ("original",),
    "move": ("original", "new"),
    "add": ("new",),
    "unskip": ("original",),
}
# What an override leaves a meeting as: its status, local start and reason.
Change = tuple[MeetingStatus, datetime, str]


def check_local(value: datetime, name: str) -> None:
    """Keys are minute-precise wall-clock times; anything else would not round-trip."""
    if not isinstance(value, datetime) or value.tzinfo is not None:
        raise ValueError(f"{name}: expected a naive local datetime, got {value!r}")
    if value.second or value.microsecond:
        raise ValueError(f"{name}: meeting times are whole minutes, got {value.isoformat()}")


@dataclass(frozen=True)
class Override:
    """A chair's change: skip, move or unskip a meeting (by original start), or add one."""

    kind: OverrideKind
    original: datetime | None = None
    new: datetime | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        if self.kind not in _OVERRIDE_FIELDS:
            raise ValueError(f"override kind must be skip, move, add or unskip, got {self.kind!r}")
        given = tuple(name for name in ("original", "new") if getattr(self, name) is not None)
        if given != (wanted := _OVERRIDE_FIELDS[self.kind]):
            raise ValueError(f"a {self.kind} override takes {' and '.join(wanted)}, got {given}")
        for value in (self.original, self.new):
            if value is not None:
                check_local(value, f"{self.kind} override")

    @property
    def target(self) -> datetime:
        """The original local start (the key) this override is about."""
        return self.new if self.kind == "add" else self.original  # type: ignore[return-value]


def resolve(base: Container[datetime], overrides: Iterable[Override]) -> dict[datetime, Change]:
    """Fold overrides in order over the `base` meetings (original local
    starts); the last override about a key wins.

    Skip/move of a time that is no meeting is ignored. A skip keeps the time
    the meeting had (a moved meeting is cancelled at its new time), and an
    unskip brings back exactly what the skip cancelled, moved time included.
    Adding a time that is a base meeting (or moving one back to its own
    time) restores it as scheduled.
    """
    changes: dict[datetime, Change] = {}
    before_skip: dict[datetime, Change | None] = {}
    for override in overrides:
        key = override.target
        in_base = key in base
        if override.kind != "add" and not (in_base or key in changes):
            continue
        current = changes.get(key)
        if override.kind == "skip":
            if current is None or current[0] != MeetingStatus.SKIPPED:
                before_skip[key] = current
            start = current[1] if current else key
            changes[key] = (MeetingStatus.SKIPPED, start, override.reason)
        elif override.kind == "unskip":
            if current is not None and current[0] == MeetingStatus.SKIPPED:
                restored = before_skip.pop(key, None)
                if restored is None:
                    changes.pop(key)  # a base meeting again
                    if not in_base:  # an added meeting skipped: added again
                        changes[key] = (MeetingStatus.ADDED, key, "")
                else:
                    changes[key] = restored
        elif override.kind == "move" and override.new != key:
            changes[key] = (MeetingStatus.MOVED, override.new, override.reason)  # type: ignore[assignment]
        else:
            changes[key] = (
                MeetingStatus.SCHEDULED if in_base else MeetingStatus.ADDED,
                key,
                override.reason,
            )
    return changes
