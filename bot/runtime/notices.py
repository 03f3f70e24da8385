"""What the core does with events that are not commands: a message it could
not decrypt (the sender is told once, not per message) and a person's name
as the network shows it (remembered, nothing answered)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.chat.transport import Incoming
from bot.meeting.people import clean_display_name
from bot.ops.metrics import UNDECRYPTABLE
from bot.runtime.router import Reply
from storage.repo import Repo

if TYPE_CHECKING:
    from bot.runtime.core import BotCore

log = logging.getLogger(__name__)


async def tell_unreadable(core: BotCore, event: Incoming) -> None:
    """Tell the sender once per `once_key` (a marker that survives restarts),
    never once per message: a key problem would otherwise be a flood. The
    event is not marked processed, so if its key arrives later it is
    still read and answered."""
    marker = f"undecryptable:{event.once_key}"
    UNDECRYPTABLE.inc()

    async def work(repo: Repo) -> None:
        if await repo.get_state(marker) is not None:
            log.info("unreadable %s: sender already told, no new notice", event.event_id)
            return
        await repo.set_state(marker, event.event_id)
        reply = Reply(event.body, mentions=(event.sender,))
        key = f"{event.event_id}:unreadable"
        await core.queue(repo, event.room_id, key, reply, reply_to=event.event_id)

    await core.storage.run_in_transaction(work)


async def remember_profile(core: BotCore, event: Incoming) -> None:
    """Remember how the network names a person (texts show names, not ids)."""
    name = clean_display_name(event.body)

    async def work(repo: Repo) -> None:
        await repo.remember_display_name(event.sender, name, core.clock())

    await core.storage.run_in_transaction(work)
