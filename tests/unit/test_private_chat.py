"""A command typed in a private chat with the bot (Teams' personal chat):
answered there as the sender's group, where their role is highest; the
group's own posts still go to the group's room; erasure forgets the chat."""

from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import select

from bot.chat.transport import Incoming, IncomingKind, private_state_key, private_to
from bot.config.directory import GroupDirectory
from bot.runtime.privacy import erase_person
from storage import models
from tests.unit.fakes import CONFIG_WITH_CADENCE, ROOM, make_harness

CHAIR, ANNA = "@chair:example.org", "@anna:example.org"
OTHER_ROOM = "!other:example.org"


async def test_the_group_where_the_sender_ranks_highest_answers(tmp_path):
    h = await make_harness(tmp_path)
    group = h.config.groups[0]
    other = replace(group, id="other", room=OTHER_ROOM, chairs=(ANNA,))
    first = replace(group, id="first", chairs=())
    h.core.directory.swap(GroupDirectory.of((first, other), {OTHER_ROOM: first, ROOM: other}))
    assert h.core.group_for(private_to(ANNA), ANNA).id == "other"  # chair there, member here
    assert h.core.group_for(private_to("@nobody:example.org"), "@nobody:example.org") is None
    assert h.core.group_for(private_to(ANNA), CHAIR) is None  # someone else's private chat
    await h.core.storage.close()


async def test_minutes_asked_for_privately_are_posted_in_the_room(tmp_path):
    h = await make_harness(tmp_path, CONFIG_WITH_CADENCE)
    h.clock = datetime(2026, 1, 9, 13, tzinfo=UTC)  # after the meeting of 9 January
    chat = private_to(CHAIR)
    sent = await h.deliver(Incoming(IncomingKind.MESSAGE, "$p1", chat, CHAIR, h.clock, "!minutes"))
    assert sent, "answered"
    replies = [m for m in sent if m.reply_to == "$p1"]
    assert replies and all(m.room_id == chat for m in replies)
    posts = [m for m in sent if m.reply_to is None]
    assert posts and all(m.room_id == ROOM for m in posts)  # the minutes, into the room
    await h.core.storage.close()


async def test_erasure_forgets_the_private_chat_and_its_markers(tmp_path):
    h = await make_harness(tmp_path)
    chat = private_to(ANNA)
    await h.deliver(Incoming(IncomingKind.MESSAGE, "$p2", chat, ANNA, h.clock, "!next"))
    async with h.core.storage.transaction() as repo:
        await repo.set_state(private_state_key(ANNA), '{"chat": "a:1"}')
    async with h.core.storage.transaction() as repo:
        await erase_person(repo, h.config.groups, ANNA)
    async with h.core.storage.transaction() as repo:
        assert await repo.get_state(private_state_key(ANNA)) is None
        rows = (await repo.session.execute(select(models.ProcessedEvent.room_id))).scalars()
        assert not {chat, private_state_key(ANNA)} & set(rows)
    await h.core.storage.close()
