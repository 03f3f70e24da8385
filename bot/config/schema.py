"""Configuration: TOML in, validated frozen dataclasses out.

Every problem is collected and reported at once, each naming the exact key
(`groups[0].timezone: unknown time zone 'CET+1'`), because a chair fixing a
config file should not have to run the checker ten times.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.config.email import EmailConfig, parse_email
from bot.config.groups import GroupConfig, parse_groups
from bot.config.matrix import MatrixConfig, parse_matrix
from bot.config.ops import OpsConfig, parse_ops
from bot.config.privacy import PrivacyConfig, parse_privacy
from bot.config.problems import ACCEPTED_KEYS, MATRIX, TEAMS, Checker
from bot.config.roster import Member
from bot.config.teams import TeamsConfig, parse_teams
from bot.config.web import WebConfig, parse_web

__all__ = ["ACCEPTED_KEYS", "Config", "ConfigError", "GroupConfig", "MatrixConfig", "Member"]

STORAGE_URL_ENV = "ALLIES_BOT_STORAGE_URL"


class ConfigError(Exception):
    """Raised with every problem found; `problems` holds one line per key."""

    def __init__(self, problems: list[str], warnings: list[str] | None = None) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems
        self.warnings = warnings or []  # shown with the problems, so one run shows all


@dataclass(frozen=True)
class StorageConfig:
    url: str
    data_dir: Path


@dataclass(frozen=True)
class Config:
    matrix: MatrixConfig | None
    storage: StorageConfig
    groups: tuple[GroupConfig, ...]
    path: Path
    privacy: PrivacyConfig = field(default_factory=PrivacyConfig)
    ops: OpsConfig | None = None  # `[ops] listen`: /healthz and /metrics
    teams: TeamsConfig | None = None
    web: WebConfig | None = None  # `[web]`: calendar feeds, mail opt-out links
    email: EmailConfig | None = None  # `[email]`: mail out, `[email.inbound]`: replies
    warnings: tuple[str, ...] = ()  # likely mistakes (a group without chairs): check-config

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
    web = parse_web(raw.get("web"), check)
    email = parse_email(raw.get("email"), environ, check)
    _check_servers(ops, web, email, check, has_web="web" in raw)
    groups = parse_groups(raw.get("groups"), check, privacy)
    networks = {g.network for g in groups} or {MATRIX}
    matrix = teams = None
    if require_matrix and (MATRIX in networks or "matrix" in raw):
        matrix = parse_matrix(raw.get("matrix"), environ, check)
    if require_matrix and (TEAMS in networks or "teams" in raw):
        teams = parse_teams(raw.get("teams"), environ, check)
    if check.problems:
        raise ConfigError(check.problems, check.warnings)
    assert storage is not None
    warnings = tuple(check.warnings)
    return Config(matrix, storage, tuple(groups), path, privacy, ops, teams, web, email, warnings)


def _check_servers(
    ops: OpsConfig | None,
    web: WebConfig | None,
    email: EmailConfig | None,
    check: Checker,
    *,
    has_web: bool,
) -> None:
    """The public server never shares the private one's port, and e-mail
    links (opt-out) need the public server."""
    if ops and web and ops.port == web.port and ops.host == web.host:
        check.fail("web.listen", "must differ from [ops] listen (metrics stay private)")
    if email is not None and not has_web:
        check.fail("email", "needs [web] too: every personal mail carries a one-click opt-out link")


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
