"""`[[groups]]`: each group, where it meets, its people and its calendar."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.calendar.dates import DateSettings
from bot.config.email import email_address
from bot.config.privacy import PrivacyConfig, parse_retention
from bot.config.problems import MATRIX, TEAMS, Checker
from bot.config.roster import Member, parse_members, parse_names
from bot.config.schedule import GroupSchedule, parse_schedule
from bot.config.subgroups import link_subgroups
from bot.config.teams import CONVERSATION_RE

# Room ids from room version 12 on carry no server part (`!hash`), older ones do.
ROOM_RE = re.compile(r"^(![^:\s]+(:[A-Za-z0-9.\-:\[\]]+)?|#[^:\s]+:[A-Za-z0-9.\-:\[\]]+)$")
GROUP_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


@dataclass(frozen=True)
class GroupConfig:
    id: str
    name: str
    room: str
    timezone: ZoneInfo
    chairs: tuple[str, ...] = ()
    vice_chairs: tuple[str, ...] = ()
    members: tuple[Member, ...] = ()
    schedule: GroupSchedule = field(default_factory=GroupSchedule)
    # `[groups.names]`: names of people not on the roster (chairs, vice-chairs)
    names: dict[str, str] = field(default_factory=dict)
    parent: str | None = None  # the id of the group this sub-group reports to
    subgroups: tuple[GroupConfig, ...] = ()  # the groups reporting to this one
    # `[privacy]`, with the group's own `retention` where it has one
    privacy: PrivacyConfig = field(default_factory=PrivacyConfig)
    # where `room` is: "matrix" (a room id or alias) or "teams" (a channel or chat id)
    network: str = MATRIX
    email: str | None = None  # the group's mailing list: agenda and minutes go there

    def mail_address_of(self, user_id: str) -> str | None:
        """Where this roster member's personal mails go (None: nowhere)."""
        for member in self.members:
            if member.user == user_id:
                return member.mail_address
        return None

    @property
    def date_settings(self) -> DateSettings:
        """How this group's members write dates: its zone, languages, order."""
        return DateSettings(self.timezone, self.schedule.languages, self.schedule.date_order)

    def configured_name(self, user_id: str) -> str | None:
        """The name the config gives this person: roster first, then `names`."""
        for member in self.members:
            if member.user == user_id and member.name:
                return member.name
        return self.names.get(user_id)

    @cached_property
    def _alliances(self) -> dict[str, str]:
        """The roster by person: asked thousands of times by the report."""
        return {member.user: member.alliance for member in self.members}

    def alliance_of(self, user_id: str) -> str | None:
        """The alliance a roster member represents, None for non-members."""
        return self._alliances.get(user_id)


def parse_groups(value: Any, check: Checker, privacy: PrivacyConfig) -> list[GroupConfig]:
    if not isinstance(value, list) or not value:
        check.fail("groups", "at least one [[groups]] table is required")
        return []
    groups = [
        g for i, t in enumerate(value) if (g := _parse_group(t, f"groups[{i}]", check, privacy))
    ]
    seen_ids: set[str] = set()
    seen_rooms: set[str] = set()
    for index, group in enumerate(groups):
        if group.id in seen_ids:
            check.fail(f"groups[{index}].id", f"duplicate group id {group.id!r}")
        if group.room in seen_rooms:
            key = "room" if group.network == MATRIX else "teams_conversation"
            check.fail(
                f"groups[{index}].{key}",
                f"{key.replace('_', ' ')} {group.room!r} is used by two groups",
            )
        seen_ids.add(group.id)
        seen_rooms.add(group.room)
    return link_subgroups(groups, check)


def _parse_group(
    table: Any, prefix: str, check: Checker, privacy: PrivacyConfig
) -> GroupConfig | None:
    if not isinstance(table, dict):
        check.fail(prefix, "must be a table")
        return None
    check.unknown_keys(table, "group", prefix)
    group_id = check.string(table, "id", prefix)
    if group_id and not GROUP_ID_RE.match(group_id):
        check.fail(f"{prefix}.id", f"{group_id!r} must be lower-case letters, digits, - or _")
    name = check.string(table, "name", prefix, required=False) or group_id
    network, room = _parse_place(table, prefix, check)
    timezone = _parse_timezone(
        table.get("timezone", "Europe/Brussels"), f"{prefix}.timezone", check
    )
    chairs = check.user_list(table, "chairs", prefix, network)
    if not chairs and table.get("chairs", []) == []:
        check.warn(
            f"{prefix}.chairs",
            "empty: name at least one chair, or nobody may run meetings, post minutes "
            "or change the calendar",
        )
    vice_chairs = check.user_list(table, "vice_chairs", prefix, network)
    parent = check.string(table, "parent", prefix, required=False)
    members = parse_members(
        table.get("members", []),
        prefix,
        check,
        alliance_required=parent is None,
        network=network,
    )
    schedule = parse_schedule(table, prefix, timezone, check)
    names = parse_names(table.get("names", {}), f"{prefix}.names", check, network)
    if "retention" in table:
        own = parse_retention(table["retention"], f"{prefix}.retention", check)
        privacy = replace(privacy, retention=own or privacy.retention)
    email = None
    if "email" in table and (email := email_address(table["email"])) is None:
        check.fail(f"{prefix}.email", f"{table['email']!r} is not an address like x@lists.org")
    if not (group_id and room and timezone and name):
        return None
    return GroupConfig(
        group_id,
        name,
        room,
        timezone,
        chairs,
        vice_chairs,
        members,
        schedule,
        names,
        parent,
        privacy=privacy,
        network=network,
        email=email,
    )


def _parse_place(table: dict, prefix: str, check: Checker) -> tuple[str, str | None]:
    """Where the group meets: a Matrix `room` or a Teams `teams_conversation`."""
    if "teams_conversation" in table:
        if "room" in table:
            check.fail(prefix, "has both room and teams_conversation: a group meets in one place")
        conversation = check.string(table, "teams_conversation", prefix)
        if conversation and not CONVERSATION_RE.match(conversation):
            check.fail(
                f"{prefix}.teams_conversation",
                f"{conversation!r} must be a channel id like 19:…@thread.tacv2 "
                "(without ;messageid=…)",
            )
            conversation = None
        return TEAMS, conversation
    if "room" not in table:
        check.fail(f"{prefix}.room", "missing: set room (Matrix) or teams_conversation (Teams)")
        return MATRIX, None
    room = check.string(table, "room", prefix)
    if room and not ROOM_RE.match(room):
        check.fail(
            f"{prefix}.room", f"{room!r} must be a room id (!id:server) or alias (#name:server)"
        )
    return MATRIX, room


def _parse_timezone(value: Any, key: str, check: Checker) -> ZoneInfo | None:
    if not isinstance(value, str):
        check.fail(key, "must be an IANA time zone name like 'Europe/Brussels'")
        return None
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        check.fail(key, f"unknown time zone {value!r} (use an IANA name like 'Europe/Brussels')")
        return None
