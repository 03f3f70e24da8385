"""`allies-bot devices`: the members' devices the bot knows, and trusting them.

With `trust = "verified"` only devices verified here get room keys and are
listened to. nio has no cross-signing, so a device verified in Element is
not thereby verified for the bot: compare the fingerprint listed here with
the one the member sees in their client (Settings, Sessions), then verify.
Stop the bot first: it keeps trust in memory and writes it back, so a
change made while it runs would be lost; the change counts from its next
start.
"""

from __future__ import annotations

from nio import AsyncClient, AsyncClientConfig
from nio.crypto import OlmDevice

from bot.chat.matrix.crypto import store_path
from bot.chat.matrix.login import SESSION_FILE, _read_session
from bot.config import Config


class DevicesError(Exception):
    """Shown to the operator as is; exit status 2."""


def _open_store(config: Config) -> AsyncClient:
    """The bot's own crypto store, offline: no login, no network."""
    assert config.matrix is not None
    saved = _read_session(config.storage.data_dir / SESSION_FILE, config.matrix)
    if saved is None:
        raise DevicesError("no saved session in data_dir yet: start the bot once first")
    client_config = AsyncClientConfig(encryption_enabled=True, store_sync_tokens=False)
    path = store_path(config.storage.data_dir)
    client = AsyncClient(
        config.matrix.homeserver, config.matrix.user_id, store_path=str(path), config=client_config
    )
    client.restore_login(config.matrix.user_id, saved["device_id"], saved["access_token"])
    return client


def _state(device: OlmDevice) -> str:
    return device.trust_state.name.replace("unset", "new").replace("blacklisted", "blocked")


def _listing(client: AsyncClient) -> str:
    lines = [f"the bot is device {client.device_id}; members' devices it knows:"]
    for user_id, devices in sorted(client.device_store.items()):
        for device in sorted(devices.values(), key=lambda d: d.id):
            if device.deleted or (user_id == client.user_id and device.id == client.device_id):
                continue
            name = f" ({device.display_name})" if device.display_name else ""
            lines.append(f"{user_id} {device.id}{name}: {_state(device)}, ed25519 {device.ed25519}")
    if len(lines) == 1:
        lines.append("(none yet: the bot learns devices in its encrypted rooms)")
    return "\n".join(lines)


def devices_command(config: Config, action: str, user_id: str | None, device_id: str | None) -> str:
    """`list`, or `verify` / `block` one device (bound to its current key)."""
    client = _open_store(config)
    try:
        if action == "list":
            return _listing(client)
        if not (user_id and device_id):
            raise DevicesError(f"usage: allies-bot devices --config FILE {action} USER DEVICE")
        device = dict(client.device_store.items()).get(user_id, {}).get(device_id)
        if device is None:
            raise DevicesError(f"the bot knows no device {device_id} of {user_id}")
        change = client.verify_device if action == "verify" else client.blacklist_device
        change(device)
        return f"{user_id} {device_id} is now {_state(device)} (ed25519 {device.ed25519})"
    finally:
        if client.store is not None:
            client.store.database.close()
