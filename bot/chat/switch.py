"""One outbox, several networks: each message goes to the adapter it is for.

A process may serve groups in Matrix rooms and groups in Teams channels.
The outbox delivers every queued message through this switch, which asks
each adapter in turn whether the room is one of its own (the last one
takes the rest, so a message is never dropped for want of an owner).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.chat.transport import EventHandler, Outgoing, Transport

Owns = Callable[[str], bool]


class TransportSwitch:
    def __init__(self, routes: Sequence[tuple[Owns, Transport]]) -> None:
        assert routes, "at least one network"
        self.routes = list(routes)

    def transport_for(self, room_id: str) -> Transport:
        for owns, transport in self.routes[:-1]:
            if owns(room_id):
                return transport
        return self.routes[-1][1]

    async def send(self, message: Outgoing, txn_id: str) -> str:
        return await self.transport_for(message.room_id).send(message, txn_id)

    async def start(self, on_event: EventHandler) -> None:
        raise NotImplementedError("each network is started on its own")

    async def stop(self) -> None:
        for _, transport in self.routes:
            await transport.stop()
