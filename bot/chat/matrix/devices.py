"""`allies-bot devices`: the bot's own identity, the members' devices it knows,
and the operator's say over them.

`list` shows both. `verify` / `block` decide one device (with
`trust = "operator-verified"` only verified devices get room keys);
`accept-identity` accepts a member's changed cross-signing identity;
`reset-identity` replaces the bot's own (members see it change). Stop the
bot first: it keeps trust in memory and writes it back, so a change made
while it runs would be lost; the change counts from its next start.
"""

from __future__ import annotations

import asyncio

from nio import AsyncClient, AsyncClientConfig
from nio.crypto import OlmDevice

from bot.chat.matrix.crypto import store_path
from bot.chat.matrix.identity import IdentityError, OwnIdentity, load_keys, query_keys
from bot.chat.matrix.login import SESSION_FILE, _read_session
from bot.chat.matrix.signing import fingerprint, only_key
from bot.chat.matrix.trust import TrustStore
from bot.config import Config

RESET_WARNING = (
    "the bot has a new cross-signing identity. Members' clients will show that its identity "
    "changed; those who verified the bot must verify it again."
)


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


def _own_line(config: Config, client: AsyncClient) -> str:
    keys = load_keys(config.storage.data_dir)
    if keys is None:
        return f"the bot is device {client.device_id}; no cross-signing keys in data_dir yet"
    master = fingerprint(keys.master.public)
    return f"the bot is device {client.device_id}; its identity (master key): {master}"


def _listing(config: Config, client: AsyncClient) -> str:
    trust = TrustStore(config.storage.data_dir)
    lines = [_own_line(config, client)]
    for user_id, master in sorted(trust.pinned.items()):
        changed = trust.changed.get(user_id)
        state = f"CHANGED to {fingerprint(changed)}, not accepted" if changed else "pinned"
        lines.append(f"{user_id} identity {fingerprint(master)}: {state}")
    lines.append("members' devices it knows:")
    for user_id, devices in sorted(client.device_store.items()):
        for device in sorted(devices.values(), key=lambda d: d.id):
            if device.deleted or (user_id == client.user_id and device.id == client.device_id):
                continue
            name = f" ({device.display_name})" if device.display_name else ""
            lines.append(f"{user_id} {device.id}{name}: {_state(device)}, ed25519 {device.ed25519}")
    if lines[-1] == "members' devices it knows:":
        lines.append("(none yet: the bot learns devices in its encrypted rooms)")
    return "\n".join(lines)


def devices_command(config: Config, action: str, user_id: str | None, device_id: str | None) -> str:
    """`list`, `verify` / `block` one device, `accept-identity` of a member,
    or `reset-identity` of the bot."""
    if action == "reset-identity":
        return asyncio.run(_reset_identity(config))
    if action == "accept-identity":
        if not user_id:
            raise DevicesError("usage: allies-bot devices --config FILE accept-identity USER")
        accepted = TrustStore(config.storage.data_dir).accept(user_id)
        if accepted is None:
            raise DevicesError(f"{user_id} has no changed identity to accept")
        return (
            f"{user_id}: identity {fingerprint(accepted)} accepted; it counts from the next start"
        )
    client = _open_store(config)
    try:
        if action == "list":
            return _listing(config, client)
        if not (user_id and device_id):
            raise DevicesError(f"usage: allies-bot devices --config FILE {action} USER DEVICE")
        device = dict(client.device_store.items()).get(user_id, {}).get(device_id)
        if device is None:
            raise DevicesError(f"the bot knows no device {device_id} of {user_id}")
        TrustStore(config.storage.data_dir).block(user_id, device_id, action == "block")
        change = client.verify_device if action == "verify" else client.blacklist_device
        change(device)
        return f"{user_id} {device_id} is now {_state(device)} (ed25519 {device.ed25519})"
    finally:
        if client.store is not None:
            client.store.database.close()


async def _reset_identity(config: Config) -> str:
    """New cross-signing keys for the bot, published and signing its device."""
    assert config.matrix is not None
    saved = _read_session(config.storage.data_dir / SESSION_FILE, config.matrix)
    if saved is None:
        raise DevicesError("no saved session in data_dir yet: start the bot once first")
    client = AsyncClient(config.matrix.homeserver, config.matrix.user_id)
    client.user_id, client.device_id = config.matrix.user_id, saved["device_id"]
    client.access_token = saved["access_token"]
    identity = OwnIdentity(client, config.storage.data_dir, config.matrix.password)
    try:
        await client.whoami()  # opens the HTTP session and checks the stored token
        await identity.create()
        await identity.ensure()
        answer = await query_keys(client, [client.user_id])
    except IdentityError as exc:
        raise DevicesError(f"reset failed: {exc}") from None
    finally:
        await client.close()
    master = only_key(answer.get("master_keys", {}).get(client.user_id)) or "?"
    trust = TrustStore(config.storage.data_dir)  # its own pin follows, or it would be flagged
    trust.pinned[client.user_id] = master
    trust.changed.pop(client.user_id, None)
    trust.save()
    return f"{RESET_WARNING}\nnew identity (master key): {fingerprint(master)}"
