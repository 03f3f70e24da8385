"""The one directory of groups: every group, and the room or channel each is
served in.

Built from the config and the rooms the networks resolved at start (an alias
becomes a room id), and swapped whole when the config is reloaded, never
patched in place: the core, the adapters and the scheduled jobs all read the
same directory, so a room can never belong to one group here and another
there. Jobs and queued work carry group ids and look the group up when they
run, so a job planned before a reload sees the reloaded group.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from bot.config import GroupConfig


@dataclass(frozen=True)
class GroupDirectory:
    """Immutable: `groups` by id, and `room_ids`: each served room's id and
    the id of the group it belongs to (a group whose room could not be
    resolved is known, but not served)."""

    groups: Mapping[str, GroupConfig] = field(default_factory=dict)
    room_ids: Mapping[str, str] = field(default_factory=dict)
    _rooms: Mapping[str, GroupConfig] = field(init=False, repr=False, compare=False)
    _by_network: Mapping[str, Mapping[str, GroupConfig]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "groups", MappingProxyType(dict(self.groups)))
        object.__setattr__(self, "room_ids", MappingProxyType(dict(self.room_ids)))
        rooms = {room: self.groups[gid] for room, gid in self.room_ids.items()}
        object.__setattr__(self, "_rooms", MappingProxyType(rooms))
        by_network: dict[str, dict[str, GroupConfig]] = {}
        for room, group in rooms.items():
            by_network.setdefault(group.network, {})[room] = group
        object.__setattr__(
            self, "_by_network", {n: MappingProxyType(r) for n, r in by_network.items()}
        )

    @classmethod
    def of(
        cls, groups: Iterable[GroupConfig], rooms: Mapping[str, GroupConfig] | None = None
    ) -> GroupDirectory:
        """The groups, served in `rooms` (resolved id -> group); by default
        each in the room its config names."""
        groups = tuple(groups)
        if rooms is None:
            rooms = {g.room: g for g in groups if g.room}
        return cls({g.id: g for g in groups}, {room: g.id for room, g in rooms.items()})

    def group(self, group_id: str) -> GroupConfig | None:
        return self.groups.get(group_id)

    def of_room(self, room_id: str) -> GroupConfig | None:
        """The group served in this room, if any."""
        return self._rooms.get(room_id)

    def room_of(self, group_id: str) -> str | None:
        """Where the group's own posts go: its (first) served room."""
        return next(iter(self.rooms_of(group_id)), None)

    def home_of(self, room_id: str, group_id: str) -> str:
        """Where a group's own posts go (minutes, announcements) for a command
        typed in `room_id`: that room when the group is served there, else the
        group's room (a command typed in a private chat with the bot)."""
        served = self.of_room(room_id)
        if served is not None and served.id == group_id:
            return room_id
        return self.room_of(group_id) or room_id

    def rooms_of(self, group_id: str) -> list[str]:
        """Every room the group is served in."""
        return [room for room, gid in self.room_ids.items() if gid == group_id]

    def rooms(self, network: str | None = None) -> Mapping[str, GroupConfig]:
        """Served rooms and their groups, all or one network's."""
        if network is None:
            return self._rooms
        return self._by_network.get(network, MappingProxyType({}))

    def served(self) -> tuple[GroupConfig, ...]:
        """The groups that have a room, each once, in config order."""
        ids = set(self.room_ids.values())
        return tuple(g for gid, g in self.groups.items() if gid in ids)

    def bound(self, room_id: str, group: GroupConfig) -> GroupDirectory:
        """A new directory with `group` (also) served in `room_id`."""
        return GroupDirectory(
            {**self.groups, group.id: group}, {**self.room_ids, room_id: group.id}
        )

    def reloaded(self, groups: Iterable[GroupConfig]) -> GroupDirectory:
        """The same rooms, with the groups as a reloaded config has them."""
        fresh = {g.id: g for g in groups}
        kept = {room: gid for room, gid in self.room_ids.items() if gid in fresh}
        return GroupDirectory(fresh, kept)


class Directory:
    """The directory in force, shared by everyone who reads it; `swap`
    replaces it whole (start-up, SIGHUP)."""

    def __init__(self, current: GroupDirectory | None = None) -> None:
        self.current = current or GroupDirectory()

    def swap(self, new: GroupDirectory) -> None:
        self.current = new
