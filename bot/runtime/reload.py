"""SIGHUP: read the config again and apply it without a restart.

What a chair or operator changes day to day takes effect at once: the
roster, names, chairs and vice-chairs, the calendar and its announcements,
the privacy texts and retention; the automatic posts are planned again from
the new calendar. A broken file is refused whole, with every problem
logged, and the running config stays. So is a file that changes what needs
new connections or a new structure (the `[matrix]` account, `[storage]`,
`[ops]`, groups added or removed, a group's room or parent): applying half
of it would leave sub-groups and rooms disagreeing; it waits for a restart.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.config import Config, ConfigError, load_config
from bot.config.directory import Directory
from bot.meeting.render import plural

log = logging.getLogger(__name__)


class Reloader:
    def __init__(
        self,
        path: Path,
        current: Config,
        directory: Directory,
        replan: Callable[[], Awaitable[None]],
    ) -> None:
        self.path = path
        self.current = current
        self.directory = directory  # the one directory everyone reads: swapped whole
        self.replan = replan
        self._lock = asyncio.Lock()

    async def reload(self) -> bool:
        """True when the new config was applied."""
        async with self._lock:
            try:
                new = load_config(
                    self.path,
                    require_matrix=self.current.matrix is not None
                    or self.current.teams is not None,
                )
            except ConfigError as exc:
                for problem in exc.problems:
                    log.error("config: %s", problem)
                log.error(
                    "config not reloaded: %s in %s; the running config stays",
                    plural(len(exc.problems), "problem"),
                    self.path,
                )
                return False
            if needs_restart := restart_reasons(self.current, new):
                for reason in needs_restart:
                    log.error("config: %s", reason)
                log.error(
                    "config not reloaded: these changes need a restart; the running config stays"
                )
                return False
            updated = self._apply(new)
            self.current = new
            try:
                await self.replan()
            except Exception:
                log.exception("config reloaded, but re-planning the automatic posts failed")
                return False
            log.info(
                "config reloaded: %s updated, automatic posts re-planned", plural(updated, "group")
            )
            return True

    def _apply(self, new: Config) -> int:
        """Swap in a directory with the new groups in the same rooms; how many
        served groups it updated."""
        reloaded = self.directory.current.reloaded(new.groups)
        self.directory.swap(reloaded)
        return len(reloaded.served())


def restart_reasons(old: Config, new: Config) -> list[str]:
    """What in `new` a running bot cannot take over."""
    reasons = [
        f"[{name}] changed"
        for name, before, after in (
            ("matrix", old.matrix, new.matrix),
            ("storage", old.storage, new.storage),
            ("ops", old.ops, new.ops),
            ("teams", old.teams, new.teams),
        )
        if before != after
    ]
    before = {g.id: (g.room, g.parent) for g in old.groups}
    after = {g.id: (g.room, g.parent) for g in new.groups}
    reasons += [f"group {gid} is new" for gid in sorted(set(after) - set(before))]
    reasons += [f"group {gid} is gone" for gid in sorted(set(before) - set(after))]
    reasons += [
        f"group {gid} has a new room or parent"
        for gid in sorted(set(before) & set(after))
        if before[gid] != after[gid]
    ]
    return reasons
