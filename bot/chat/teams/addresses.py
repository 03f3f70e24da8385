"""Where the bot can post in a Teams conversation without being asked.

A post that is not a reply (the agenda, reminders) needs the conversation's
service URL, tenant and the bot's own id there, which Teams sends with every
activity, first when the bot is added to the team. The address is stored, so
a restarted bot posts before anyone has spoken.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass

from microsoft_agents.activity import Activity

from bot.chat.teams.inbound import tenant_of
from bot.chat.transport import SendError
from storage.db import Storage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChannelAddress:
    service_url: str
    tenant_id: str
    bot_id: str
    bot_name: str = ""


ANY = "*"  # the address learnt last, from any conversation of the team


def _key(conversation: str) -> str:
    return "teams-ref:" + hashlib.sha256(conversation.encode()).hexdigest()[:40]


def address_of(activity: Activity) -> ChannelAddress:
    recipient = activity.recipient
    return ChannelAddress(
        activity.service_url or "",
        tenant_of(activity),
        recipient.id if recipient else "",
        (recipient.name or "") if recipient else "",
    )


class ChannelAddresses:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._known: dict[str, ChannelAddress] = {}
        # called when an address is first known (posts may have waited for it)
        self.on_new: Callable[[], None] | None = None

    async def learn(self, channel: str | None, activity: Activity) -> None:
        """Remember where the activity came from: for `channel`, and as the
        fallback for channels Teams has sent nothing from yet (a single-tenant
        bot has one service URL and one id in all of them)."""
        address = address_of(activity)
        if not address.service_url:
            return
        changed = [k for k in (channel, ANY) if k is not None and self._known.get(k) != address]
        if changed:
            async with self.storage.transaction() as repo:
                for key in changed:
                    await repo.set_state(_key(key), json.dumps(asdict(address)))
            self._known.update(dict.fromkeys(changed, address))
            log.info("stored the Teams address of %s", channel or "the team")
            if self.on_new is not None:
                self.on_new()

    async def _stored(self, key: str) -> ChannelAddress | None:
        if key not in self._known:
            async with self.storage.transaction() as repo:
                raw = await repo.get_state(_key(key))
            if raw is None:
                return None
            self._known[key] = ChannelAddress(**json.loads(raw))
        return self._known[key]

    async def has_own(self, channel: str) -> bool:
        """Whether Teams has sent an activity from this very channel."""
        return await self._stored(channel) is not None

    async def of(self, channel: str) -> ChannelAddress:
        """The channel's address, else the team's; a `waiting` SendError while
        Teams has sent neither."""
        address = await self._stored(channel) or await self._stored(ANY)
        if address is None:
            raise SendError(
                f"Teams has not told the bot the address of {channel} yet: "
                "add the bot to the team (or say something to it there)",
                permanent=False,
                waiting=True,
            )
        return address

    async def team(self) -> ChannelAddress | None:
        """The address learnt last from any conversation of the team."""
        return await self._stored(ANY)
