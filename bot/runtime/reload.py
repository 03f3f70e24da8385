"""SIGHUP: read the config again and apply it without a restart.

What a chair or operator changes day to day takes effect at once: the
roster, names, chairs and vice-chairs, the calendar and its announcements,
the privacy texts and retention; the automatic posts are planned again from
the new calendar. A broken file is refused whole, with every problem
logged, and the running config stays. Changes that need new connections
(the `[matrix]` account, a group's room, groups added or removed) are
logged as needing a restart and left as they were.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path

from bot.config import Config, ConfigError, GroupConfig, load_config

log = logging.getLogger(__name__)


class Reloader:
    def __init__(
        self,
        path: Path,
        current: Config,
        bindings: Iterable[dict[str, GroupConfig]],
        replan: Callable[[], Awaitable[None]],
    ) -> None:
        self.path = path
        self.current = current
        self.bindings = list(bindings)  # room id -> group maps to update (core, transport)
        self.replan = replan
        self._lock = asyncio.Lock()

    async def reload(self) -> bool:
        """True when the new config was applied."""
        async with self._lock:
            try:
                new = load_config(self.path, require_matrix=self.current.matrix is not None)
            except ConfigError as exc:
                for problem in exc.problems:
                    log.error("config: %s", problem)
                log.error(
                    "config not reloaded: %d problem(s) in %s; the running config stays",
                    len(exc.problems),
                    self.path,
                )
                return False
            updated = self._apply(new)
            self.current = new
            await self.replan()
            log.info("config reloaded: %d group(s) updated, automatic posts re-planned", updated)
            return True

    def _apply(self, new: Config) -> int:
        if new.matrix != self.current.matrix or new.storage != self.current.storage:
            log.warning("config: [matrix] and [storage] changes take effect after a restart")
        old_ids = {g.id for g in self.current.groups}
        new_groups = {g.id: g for g in new.groups}
        for added in sorted(set(new_groups) - old_ids):
            log.warning("config: group %s is new; it is served after a restart", added)
        updated: set[str] = set()
        for rooms in self.bindings:
            for room_id, group in list(rooms.items()):
                fresh = new_groups.get(group.id)
                if fresh is None:
                    log.warning("config: group %s is gone; it is served until a restart", group.id)
                elif fresh.room != group.room:
                    log.warning("config: group %s has a new room; that needs a restart", group.id)
                else:
                    rooms[room_id] = fresh
                    updated.add(group.id)
        return len(updated)
