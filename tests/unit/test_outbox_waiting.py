"""A room the network cannot reach yet (a Teams channel before the bot is
added) holds back its own messages only, and gives none of them up."""

from bot.chat.transport import Outgoing, SendError
from bot.runtime.outbox import MAX_ATTEMPTS, PENDING_BATCH
from tests.unit.fakes import ROOM, queued_harness

WAITING_ROOM = "19:not-yet@thread.tacv2"


class ReachesOneRoomLater:
    def __init__(self) -> None:
        self.reachable = False
        self.sent: list[Outgoing] = []

    async def send(self, message: Outgoing, txn_id: str) -> str:
        if message.room_id == WAITING_ROOM and not self.reachable:
            raise SendError("no address yet", permanent=False, waiting=True)
        self.sent.append(message)
        return f"id{len(self.sent)}"


async def queued(tmp_path, rooms: list[str]):
    """A harness whose outbox holds message `m<i>` for `rooms[i]`, in order."""
    h = await queued_harness(tmp_path, rooms)
    transport = ReachesOneRoomLater()
    h.core.outbox.attach(transport)
    return h, transport


async def test_a_waiting_room_blocks_nothing_else_and_loses_nothing(tmp_path):
    h, transport = await queued(tmp_path, [WAITING_ROOM, ROOM, WAITING_ROOM, ROOM])
    for _ in range(MAX_ATTEMPTS + 2):  # more flushes than attempts a failure may take
        await h.core.outbox.flush()
    assert [m.body for m in transport.sent] == ["m1", "m3"]  # the other room, in order
    transport.reachable = True
    await h.core.outbox.flush()
    assert [m.body for m in transport.sent] == ["m1", "m3", "m0", "m2"]  # nothing given up


async def test_more_waiting_messages_than_a_batch_hold_back_no_other_room(tmp_path):
    rooms = [WAITING_ROOM] * (PENDING_BATCH + 5) + [ROOM]
    h, transport = await queued(tmp_path, rooms)
    await h.core.outbox.flush()
    assert [m.body for m in transport.sent] == [f"m{len(rooms) - 1}"]
