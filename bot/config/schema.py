"""Configuration: TOML in, validated frozen dataclasses out.

Every problem is collected and reported at once, each naming the exact key
(`groups[0].timezone: unknown time zone 'CET+1'`), because a chair fixing a
config file should not have to run the checker ten times.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.config.ops import OpsConfig, parse_ops
from bot.config.privacy import PrivacyConfig, parse_privacy, parse_retention
from bot.config.problems import MATRIX, TEAMS, USER_ID_RE, Checker
from bot.config.roster import Member, parse_members, parse_names
from bot.config.schedule import GroupSchedule, parse_schedule
from bot.config.subgroups import link_subgroups
from bot.config.teams import CONVERSATION_RE, TeamsConfig, parse_teams

# Room ids from room version 12 on carry no server part (`!hash`), older ones do.
ROOM_RE = re.compile(r"^(![^:\s]+(:[A-Za-z0-9.\-:\[\]]+)?|#[^:\s]+:[A-Za-z0-9.\-:\[\]]+)$")
GROUP_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")

# Which members' devices get room keys in encrypted rooms (bot.chat.matrix.trust):
# "cross-signing": the devices a member's pinned cross-signing identity signs,
#   and, for members without cross-signing (older clients), devices on first use;
# "cross-signed-only": only devices their owner's pinned identity signs;
# "operator-verified": only devices verified with `allies-bot devices verify`.
TRUST_POLICIES = ("cross-signing", "cross-signed-only", "operator-verified")
# The names before cross-signing, so existing config files keep working.
TRUST_ALIASES = {"tofu": "cross-signing", "verified": "operator-verified"}

PASSWORD_ENV = "ALLIES_BOT_PASSWORD"
TOKEN_ENV = "ALLIES_BOT_ACCESS_TOKEN"
STORAGE_URL_ENV = "ALLIES_BOT_STORAGE_URL"


class ConfigError(Exception):
    """Raised with every problem found; `problems` holds one line per key."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class MatrixConfig:
    homeserver: str
    user_id: str
    password: str | None = field(default=None, repr=False)
    access_token: str | None = field(default=None, repr=False)
    device_name: str = "allies-bot"
    trust: str = "cross-signing"  # which devices get room keys: see TRUST_POLICIES


@dataclass(frozen=True)
class StorageConfig:
    url: str
    data_dir: Path


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

    def configured_name(self, user_id: str) -> str | None:
        """The name the config gives this person: roster first, then `names`."""
        for member in self.members:
            if member.user == user_id and member.name:
                return member.name
        return self.names.get(user_id)

    def alliance_of(self, user_id: str) -> str | None:
        """The alliance a roster member represents, None for non-members."""
        for member in self.members:
            if member.user == user_id:
                return member.alliance
        return None


@dataclass(frozen=True)
class Config:
    matrix: MatrixConfig | None
    storage: StorageConfig
    groups: tuple[GroupConfig, ...]
    path: Path
    privacy: PrivacyConfig = field(default_factory=PrivacyConfig)
    ops: OpsConfig | None = None  # `[ops] listen`: /healthz and /metrics
    teams: TeamsConfig | None = None

    def groups_on(self, network: str) -> tuple[GroupConfig, ...]:
        return tuple(g for g in self.groups if g.network == network)

    def group_for_room(self, room: str) -> GroupConfig | None:
        for group in self.groups:
            if group.room == room:
                return group
        return None


def load_config(
    path: str | Path, environ: dict[str, str] | None = None, *, require_matrix: bool = True
) -> Config:
    """Read and validate a config file; raise ConfigError listing every problem.

    `[matrix]` is required when a group has a `room`, `[teams]` when one has a
    `teams_conversation`. The console try-out passes require_matrix=False: it
    needs neither network, so a table without a password must not stop it."""
    path = Path(path).resolve()
    environ = os.environ if environ is None else environ
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError([f"{path}: file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: cannot be read ({type(exc).__name__})"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: not valid TOML: {exc}"]) from None
    return parse_config(raw, path, environ, require_matrix=require_matrix)


def parse_config(
    raw: dict[str, Any], path: Path, environ: dict[str, str], *, require_matrix: bool = True
) -> Config:
    check = Checker()
    check.unknown_keys(raw, "", "")
    storage = _parse_storage(raw.get("storage", {}), path.parent, check, environ)
    privacy = parse_privacy(raw.get("privacy"), check)
    ops = parse_ops(raw.get("ops"), check)
    groups = _parse_groups(raw.get("groups"), check, privacy)
    networks = {g.network for g in groups} or {MATRIX}
    matrix = teams = None
    if require_matrix and (MATRIX in networks or "matrix" in raw):
        matrix = _parse_matrix(raw.get("matrix"), environ, check)
    if require_matrix and (TEAMS in networks or "teams" in raw):
        teams = parse_teams(raw.get("teams"), environ, check)
    if check.problems:
        raise ConfigError(check.problems)
    assert storage is not None
    return Config(matrix, storage, tuple(groups), path, privacy, ops, teams)


def _parse_matrix(table: Any, environ: dict[str, str], check: Checker) -> MatrixConfig | None:
    if table is None:
        check.fail("matrix", "missing [matrix] table (needed to run on Matrix)")
        return None
    if not isinstance(table, dict):
        check.fail("matrix", "must be a table")
        return None
    check.unknown_keys(table, "matrix", "matrix")
    homeserver = check.string(table, "homeserver", "matrix")
    if homeserver and not homeserver.startswith(("http://", "https://")):
        check.fail("matrix.homeserver", f"{homeserver!r} must start with https:// or http://")
    user_id = check.string(table, "user_id", "matrix")
    if user_id and not USER_ID_RE.match(user_id):
        check.fail("matrix.user_id", f"{user_id!r} must be in the form @name:server")
    password = environ.get(PASSWORD_ENV) or table.get("password")
    token = environ.get(TOKEN_ENV) or table.get("access_token")
    if not password and not token:
        check.fail("matrix.password", f"set password or access_token (or {PASSWORD_ENV})")
    device_name = check.string(table, "device_name", "matrix", required=False) or "allies-bot"
    trust = check.string(table, "trust", "matrix", required=False) or TRUST_POLICIES[0]
    trust = TRUST_ALIASES.get(trust, trust)
    if trust not in TRUST_POLICIES:
        check.fail(
            "matrix.trust",
            f'{trust!r} is not a trust policy; use "cross-signing" (devices their owner '
            'cross-signed; first use for members without cross-signing), "cross-signed-only" '
            'or "operator-verified" (only devices verified with `allies-bot devices verify`)',
        )
    if not (homeserver and user_id):
        return None
    return MatrixConfig(homeserver.rstrip("/"), user_id, password, token, device_name, trust)


def _parse_storage(
    table: Any, base: Path, check: Checker, environ: dict[str, str]
) -> StorageConfig | None:
    if not isinstance(table, dict):
        check.fail("storage", "must be a table")
        return None
    check.unknown_keys(table, "storage", "storage")
    data_dir = base / (check.string(table, "data_dir", "storage", required=False) or "data")
    # A PostgreSQL URL holds a password: it may come from the environment (the
    # service's secrets file) instead of the config file.
    url = environ.get(STORAGE_URL_ENV) or check.string(table, "url", "storage", required=False)
    if url is None:
        url = f"sqlite+aiosqlite:///{data_dir / 'allies-bot.db'}"
    elif "://" not in url:
        check.fail(
            "storage.url", f"{url!r} is not an SQLAlchemy URL like sqlite+aiosqlite:///data/bot.db"
        )
    else:
        url = _resolve_sqlite_path(url, base)
    return StorageConfig(url=url, data_dir=data_dir)


def _resolve_sqlite_path(url: str, base: Path) -> str:
    """Relative SQLite paths resolve against the config file's folder, not the cwd."""
    prefix, sep, rest = url.partition(":///")
    if not prefix.startswith("sqlite") or not sep or rest.startswith("/") or rest == ":memory:":
        return url
    return f"{prefix}:///{base / rest}"


def _parse_groups(value: Any, check: Checker, privacy: PrivacyConfig) -> list[GroupConfig]:
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
