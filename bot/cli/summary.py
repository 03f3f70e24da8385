"""`allies-bot check-config`: what a valid config sets up, one line per part."""

from __future__ import annotations

from sqlalchemy.engine import make_url

from bot.config import Config, GroupConfig
from bot.meeting.render import plural


def summarise(config: Config) -> str:
    lines = [f"config OK: {config.path}", *(f"warning: {w}" for w in config.warnings)]
    if config.matrix:
        auth = "access token" if config.matrix.access_token else "password"
        lines.append(
            f"matrix: {config.matrix.user_id} on {config.matrix.homeserver} ({auth}; "
            f"encrypted rooms: trust {config.matrix.trust})"
        )
    url = make_url(config.storage.url).render_as_string(hide_password=True)
    lines.append(f"storage: {url}; data in {config.storage.data_dir}")
    privacy = config.privacy
    lines.append(
        f"privacy: contact {privacy.contact or '(none: set [privacy] contact)'}; "
        f"retention {privacy.retention.text}"
    )
    if config.ops is not None:
        lines.append(f"ops: /healthz and /metrics on {config.ops.host}:{config.ops.port}")
    if config.teams is not None:
        teams = config.teams
        who = "anonymous (local emulator only)" if teams.anonymous else f"app {teams.app_id}"
        lines.append(
            f"teams: {who}; messaging endpoint {teams.host}:{teams.port}/api/messages; "
            f"files at {teams.public_url}/files/"
        )
    lines += _reach(config)
    for group in config.groups:
        where = "room" if group.network == "matrix" else "Teams conversation"
        lines.append(
            f"group {group.id} ({group.name}): {where} {group.room}, {group.timezone.key}, "
            f"{plural(len(group.chairs), 'chair')}, "
            f"{plural(len(group.vice_chairs), 'vice-chair')}, "
            f"{plural(len(group.members), 'member')} from "
            f"{plural(len({m.alliance for m in group.members}), 'alliance')}"
            + _mail_of(group, config)
        )
    return "\n".join(lines)


def _reach(config: Config) -> list[str]:
    """The web server and mail, as an operator checks them before a start."""
    lines = []
    if config.web is not None:
        web = config.web
        lines.append(
            f"web: {web.host}:{web.port} as {web.public_url} (calendar feeds for "
            f"{web.feed_months_past} months back, {web.feed_months_ahead} ahead; mail opt-out)"
        )
    email = config.email
    if email is not None:
        login = f", login {email.username}" if email.username else ""
        lines.append(
            f"email: from {email.sender} via {email.host}:{email.port} ({email.security}{login})"
        )
        if email.inbound is not None:
            inbound = email.inbound
            lines.append(
                f"email replies: {inbound.address} read from {inbound.host}:{inbound.port} "
                f"({inbound.security}), folder {inbound.folder}, then {inbound.processed_folder}"
            )
    return lines


def _mail_of(group: GroupConfig, config: Config) -> str:
    if config.email is None:
        return ""
    addressed = sum(1 for m in group.members if m.mail_address)
    listed = f"list {group.email}" if group.email else "no list (groups.email)"
    return f"; mail: {listed}, {plural(addressed, 'member')} with an address"
