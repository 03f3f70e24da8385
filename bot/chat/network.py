"""The contract every chat network implements, and the table that names them.

In the spirit of opsdroid's `Connector` and errbot's `Backend`: the runtime
starts, feeds and stops a network through exactly these methods, and asks it
whether a room is its own and how to link to a message, so nothing outside
an adapter's package knows what a room id looks like. A new network is a
package with one class like this and a line in `NETWORKS`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from bot.chat.transport import EventHandler, Outgoing

if TYPE_CHECKING:
    from bot.config import Config, GroupConfig
    from bot.config.directory import Directory
    from storage.db import Storage

# The `network` a group's config names -> the class serving it, imported
# only when a group on that network is configured.
NETWORKS: Mapping[str, str] = {
    "matrix": "bot.chat.matrix.transport:MatrixTransport",
    "teams": "bot.chat.teams.transport:TeamsTransport",
}


@runtime_checkable
class Network(Protocol):
    name: str
    # called when a room the network could not reach yet becomes reachable
    # (the outbox may hold messages that waited for it)
    on_reachable: Callable[[], None] | None

    async def connect(self) -> Mapping[str, GroupConfig]:
        """Log in or bind; return the rooms served (resolved id -> group)."""

    async def start(self, on_event: EventHandler) -> None:
        """Deliver incoming events to `on_event` until `stop()`."""

    async def send(self, message: Outgoing, txn_id: str) -> str:
        """Send once per `txn_id`; return the network's id of the message."""

    async def stop(self) -> None:
        """Make `start` return soon."""

    async def close(self) -> None:
        """Release connections after `start` returned."""

    async def health(self) -> str | None:
        """None when healthy, else what is wrong (for `/healthz`)."""

    def sync_lag(self) -> float | None:
        """Seconds since the network was last heard from, if it syncs."""

    def owns(self, room_id: str) -> bool:
        """Whether a message for `room_id` (a room, or `private:<person>`) is
        this network's to deliver."""

    def permalink(self, room_id: str, message_id: str) -> str | None:
        """A link that opens the message in the members' client."""


def network_class(name: str) -> Callable[[Config, Storage, Directory], Network]:
    """The class serving network `name`, imported now (not before)."""
    module, _, attribute = NETWORKS[name].partition(":")
    return getattr(importlib.import_module(module), attribute)
