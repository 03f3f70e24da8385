"""Display names of the people in the groups' rooms, for texts that name them.

nio keeps each room member's display name from the member events of the
sync; after every sync each new or changed one goes to the core once, as an
`Incoming` of kind PROFILE (the core stores it; `bot.meeting.people` uses it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from nio import AsyncClient

from bot.chat.transport import EventHandler, Incoming, IncomingKind


class NameReporter:
    def __init__(self, client: AsyncClient, rooms: Callable[[], Iterable[str]]) -> None:
        self.client = client
        self.rooms = rooms  # the rooms served now (read at each report)
        # per room: Matrix lets a person show another name in each room
        self._reported: dict[tuple[str, str], str] = {}

    async def report(self, on_event: EventHandler) -> None:
        for room_id in self.rooms():
            room = self.client.rooms.get(room_id)
            for user_id, user in (room.users if room else {}).items():
                name = user.display_name or ""
                key = (room_id, user_id)
                if user_id == self.client.user_id or self._reported.get(key) == name:
                    continue
                when = datetime.now(UTC)
                event_id = f"profile:{user_id}"
                await on_event(
                    Incoming(IncomingKind.PROFILE, event_id, room_id, user_id, when, name)
                )
                self._reported[key] = name  # only once stored: a failed write is retried
