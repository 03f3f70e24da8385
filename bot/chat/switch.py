"""One outbox, several networks: each message goes to the network it is for.

A process may serve groups in Matrix rooms and groups in Teams channels.
The outbox delivers every queued message through this switch, which asks
each network whether the room is its own (`Network.owns`); a message no
network owns is refused for good, never guessed at.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.chat.network import Network
from bot.chat.transport import EventHandler, Outgoing, SendError


class TransportSwitch:
    def __init__(self, networks: Mapping[str, Network]) -> None:
        assert networks, "at least one network"
        self.networks = dict(networks)

    def owner(self, room_id: str) -> Network | None:
        return next((n for n in self.networks.values() if n.owns(room_id)), None)

    async def send(self, message: Outgoing, txn_id: str) -> str:
        network = self.owner(message.room_id)
        if network is None:
            raise SendError(f"no network serves room {message.room_id}", permanent=True)
        return await network.send(message, txn_id)

    def permalink(self, room_id: str, message_id: str) -> str | None:
        network = self.owner(room_id)
        return network.permalink(room_id, message_id) if network is not None else None

    async def start(self, on_event: EventHandler) -> None:
        raise NotImplementedError("each network is started on its own")

    async def stop(self) -> None:
        for network in self.networks.values():
            await network.stop()
