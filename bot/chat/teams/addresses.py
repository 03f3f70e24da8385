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

from bot.chat.transport import SendError
from storage.db import Storage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChannelAddress:
    service_url: str
    tenant_id: str
    bot_id: str
    bot_name: str = ""


def _key(conversation: str) -> str:
    return "teams-ref:" + hashlib.sha256(conversation.encode()).hexdigest()[:40]


def address_of(activity: Activity) -> ChannelAddress:
    tenant = activity.conversation.tenant_id or ""
    channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = tenant or str((channel_data.get("tenant") or {}).get("id", ""))
    recipient = activity.recipient
    return ChannelAddress(
        activity.service_url or "",
        tenant,
        recipient.id if recipient else "",
        (recipient.name or "") if recipient else "",
    )


class ChannelAddresses:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._known: dict[str, ChannelAddress] = {}
        # called when an address is first known (posts may have waited for it)
        self.on_new: Callable[[], None] | None = None

    async def learn(self, channel: str, activity: Activity) -> None:
        address = address_of(activity)
        if self._known.get(channel) == address or not address.service_url:
            return
        async with self.storage.transaction() as repo:
            await repo.set_state(_key(channel), json.dumps(asdict(address)))
        self._known[channel] = address
        log.info("stored the address of Teams conversation %s", channel)
        if self.on_new is not None:
            self.on_new()

    async def of(self, channel: str) -> ChannelAddress:
        """The stored address; a `waiting` SendError while Teams has sent none."""
        address = self._known.get(channel)
        if address is None:
            async with self.storage.transaction() as repo:
                raw = await repo.get_state(_key(channel))
            if raw is None:
                raise SendError(
                    f"Teams has not told the bot the address of {channel} yet: "
                    "add the bot to the team (or say something to it there)",
                    permanent=False,
                    waiting=True,
                )
            address = self._known[channel] = ChannelAddress(**json.loads(raw))
        return address

    async def any_of(self, channels) -> ChannelAddress | None:
        for channel in channels:
            try:
                return await self.of(channel)
            except SendError:
                continue
        return None
