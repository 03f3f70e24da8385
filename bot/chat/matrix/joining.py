"""Finding and entering the groups' rooms: an alias resolved to a room id,
the room joined (or a log line saying whom to invite)."""

from __future__ import annotations

import logging

from nio import AsyncClient, JoinResponse, RoomResolveAliasResponse

from bot.config import GroupConfig

log = logging.getLogger(__name__)


async def resolve(client: AsyncClient, room: str) -> str | None:
    """The room id of `room` (an id already, or an alias)."""
    if room.startswith("!"):
        return room
    response = await client.room_resolve_alias(room)
    if isinstance(response, RoomResolveAliasResponse):
        return response.room_id
    log.error("cannot resolve room alias %s (%s); that group is not served", room, response)
    return None


async def join(client: AsyncClient, room_id: str, group: GroupConfig) -> None:
    response = await client.join(room_id)
    if isinstance(response, JoinResponse):
        log.info("in room %s for group %s", room_id, group.id)
    else:
        log.warning(
            "cannot join %s for group %s yet (%s); invite %s to the room",
            room_id,
            group.id,
            getattr(response, "message", response),
            client.user_id,
        )
