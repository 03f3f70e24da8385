"""A personal chat with someone: where a message for them alone goes (`!mydata`).

The one they opened with the bot, else one the bot opens: Teams allows a bot
to start a 1:1 chat with people in a team it is in. It is kept with the
person's record, so the next private message goes to the same chat.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from microsoft_agents.activity import ConversationParameters

from bot.chat.teams.addresses import ChannelAddresses
from bot.chat.teams.connector import Connector
from bot.chat.teams.people import TeamsPeople
from bot.chat.transport import SendError

log = logging.getLogger(__name__)


async def personal_chat(
    person: str,
    people: TeamsPeople,
    addresses: ChannelAddresses,
    connector: Connector,
) -> tuple[str, str]:
    """(conversation id, service URL) of the personal chat with `person`."""
    known = await people.stored(person)
    if known is None:
        raise SendError("Teams has not told the bot who this person is yet", permanent=True)
    if known.chat:
        return known.chat, known.service_url
    address = await addresses.team()
    if address is None:
        raise SendError("no Teams address to open a chat from yet", permanent=False, waiting=True)
    parameters = ConversationParameters.model_validate(
        {
            "isGroup": False,
            "bot": {"id": address.bot_id},
            "members": [{"id": known.teams_id}],
            "tenantId": address.tenant_id,
            "channelData": {"tenant": {"id": address.tenant_id}},
        }
    )
    chat = await connector.open_chat(address.service_url, parameters)
    await people.remember(replace(known, chat=chat, service_url=address.service_url))
    log.info("opened a personal chat (%s)", chat)
    return chat, address.service_url
