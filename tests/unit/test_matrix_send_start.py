"""After a restart the bot answers in a plain room as soon as nio has read
the first sync, even while the first round of key work runs; an encrypted
room waits for that work (members' devices, one-time keys, the trust
policy) and its lock, which sharing the room key needs."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from nio import RoomSendResponse

from bot.chat.matrix.send import MatrixSender
from bot.chat.transport import Outgoing

PLAIN, SECRET = "!plain:example.org", "!secret:example.org"


class Client:
    """What the sender asks of nio's client: its rooms, and `room_send`."""

    def __init__(self) -> None:
        self.rooms = {
            PLAIN: SimpleNamespace(encrypted=False),
            SECRET: SimpleNamespace(encrypted=True),
        }
        self.sent: list[str] = []

    async def room_send(self, room_id, event_type, content, tx_id, ignore_unverified_devices):
        self.sent.append(room_id)
        return RoomSendResponse(f"$event-{len(self.sent)}", room_id)


class Crypto:
    enabled = True
    ignore_unverified = True

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.shared: list[str] = []

    async def before_send(self, room_id: str) -> None:
        self.shared.append(room_id)


async def no_sleep(_seconds: float) -> None:
    return None


async def test_a_plain_room_is_answered_before_the_key_work_and_a_secret_one_after():
    client, crypto = Client(), Crypto()
    rooms_known, ready = asyncio.Event(), asyncio.Event()
    sender = MatrixSender(client, crypto, ready, no_sleep, None, rooms_known)  # type: ignore[arg-type]
    plain = asyncio.create_task(sender.send(Outgoing(PLAIN, "hello", "hello"), "t1"))
    secret = asyncio.create_task(sender.send(Outgoing(SECRET, "hello", "hello"), "t2"))
    await asyncio.sleep(0.01)
    assert client.sent == []  # nothing before nio has read a sync
    await crypto.lock.acquire()  # the first round of key work has begun
    rooms_known.set()
    assert await asyncio.wait_for(plain, 1) == "$event-1"
    await asyncio.sleep(0.01)
    assert client.sent == [PLAIN] and not secret.done()  # the key work is still to come
    ready.set()
    await asyncio.sleep(0.01)
    assert not secret.done()  # and holds the lock the room key's sharing needs
    crypto.lock.release()
    assert await asyncio.wait_for(secret, 1) == "$event-2"
    assert client.sent == [PLAIN, SECRET] and crypto.shared == [SECRET]
