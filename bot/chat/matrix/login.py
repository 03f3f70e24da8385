"""Logging in once and staying the same device for the bot's whole life.

The device id and access token are kept in `data_dir/matrix-session.json`
(mode 0600). A restart restores them instead of logging in again, so the
homeserver does not collect a new device per start and the encryption keys
in the crypto store (opened by nio for exactly this device id, when the
login is restored) stay valid.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from nio import AsyncClient, LoginResponse, WhoamiResponse

from bot.config import MatrixConfig

log = logging.getLogger(__name__)
SESSION_FILE = "matrix-session.json"


class LoginFailed(Exception):
    """The homeserver refused our credentials; the message holds no secret."""


def _read_session(path: Path, config: MatrixConfig) -> dict | None:
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    if saved.get("user_id") != config.user_id or saved.get("homeserver") != config.homeserver:
        return None
    return saved


def _write_session(path: Path, config: MatrixConfig, device_id: str, token: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "homeserver": config.homeserver,
        "user_id": config.user_id,
        "device_id": device_id,
        "access_token": token,
    }
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    os.replace(tmp, path)


async def _token_works(client: AsyncClient, user_id: str, token: str) -> bool:
    """Ask the homeserver whether `token` is valid; learn its device id.

    Only the token is set here, not a restored login: restoring opens the
    crypto store, which must be opened for the right device id only."""
    client.user_id, client.access_token = user_id, token
    response = await client.whoami()
    if isinstance(response, WhoamiResponse):
        if response.device_id:
            client.device_id = response.device_id
        return True
    client.access_token = ""
    log.warning("stored access token rejected (%s)", getattr(response, "status_code", "error"))
    return False


def _restore(client: AsyncClient, config: MatrixConfig, token: str) -> None:
    """Adopt the checked login; nio opens the crypto store of this device."""
    if not client.device_id:
        raise LoginFailed("the access token is not bound to a device; encryption needs one")
    client.restore_login(config.user_id, client.device_id, token)


async def log_in(client: AsyncClient, config: MatrixConfig, data_dir: Path) -> None:
    """Restore the saved session, else use the configured token, else the
    password (reusing the saved device id so no new device appears)."""
    path = data_dir / SESSION_FILE
    saved = _read_session(path, config)
    if config.access_token and not (saved and saved["access_token"] == config.access_token):
        if not await _token_works(client, config.user_id, config.access_token):
            raise LoginFailed("the configured access_token was rejected by the homeserver")
        _restore(client, config, config.access_token)
        _write_session(path, config, client.device_id, config.access_token)
        log.info("logged in with access token as %s (device %s)", config.user_id, client.device_id)
        return
    if saved:
        client.device_id = saved["device_id"]
        if await _token_works(client, config.user_id, saved["access_token"]):
            _restore(client, config, saved["access_token"])
            log.info("resumed session of %s (device %s)", config.user_id, client.device_id)
            return
        client.device_id = saved["device_id"]
    if not config.password:
        raise LoginFailed("no password configured and no usable saved session")
    response = await client.login(password=config.password, device_name=config.device_name)
    if not isinstance(response, LoginResponse):
        raise LoginFailed(f"password login refused ({getattr(response, 'status_code', '?')})")
    _write_session(path, config, response.device_id, response.access_token)
    log.info("logged in as %s (device %s)", config.user_id, response.device_id)
