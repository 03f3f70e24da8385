"""What the Matrix adapter answers from a sync batch, on the first start and after.

The batches are parsed by nio's own `SyncResponse.from_dict`, as the sync
loop receives them; nothing is sent over the network.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from nio import SyncResponse

from bot.chat.matrix.transport import MatrixTransport
from bot.chat.transport import Incoming
from bot.config import load_config

BOT = "@allies-bot:example.org"
ANNA = "@anna:example.org"
ROOM = "!allies:example.org"
CONFIG = f"""
[matrix]
homeserver = "https://matrix.example.org"
user_id = "{BOT}"
password = "not-used-here"

[storage]
url = "sqlite+aiosqlite:///bot.db"
data_dir = "data"

[[groups]]
id = "allies"
room = "{ROOM}"
[[groups.members]]
user = "{ANNA}"
alliance = "FORTHEM"
"""


def message(n: int, body: str) -> dict:
    return {
        "type": "m.room.message",
        "event_id": f"$m{n}",
        "sender": ANNA,
        "origin_server_ts": 1_700_000_000_000 + n,
        "content": {"msgtype": "m.text", "body": body},
    }


def bot_join(n: int, ts: int | None = None) -> dict:
    return {
        "type": "m.room.member",
        "event_id": f"$join{n}",
        "sender": BOT,
        "state_key": BOT,
        "origin_server_ts": int(time.time() * 1000) if ts is None else ts,
        "content": {"membership": "join"},
        "unsigned": {"prev_content": {"membership": "invite"}},
    }


def batch(*timeline: dict) -> SyncResponse:
    response = SyncResponse.from_dict(
        {
            "next_batch": "s2",
            "rooms": {
                "join": {
                    ROOM: {
                        "timeline": {"events": list(timeline), "limited": False},
                        "state": {"events": []},
                    }
                }
            },
        }
    )
    assert isinstance(response, SyncResponse)
    return response


@pytest.fixture
async def transport(tmp_path: Path):
    path = tmp_path / "config.toml"
    path.write_text(CONFIG)
    matrix = MatrixTransport(load_config(path), storage=None)  # type: ignore[arg-type]
    matrix.directory.swap(matrix.directory.current.bound(ROOM, matrix.config.groups[0]))
    yield matrix
    await matrix.close()


async def delivered(transport: MatrixTransport, response: SyncResponse, **kwargs) -> list[str]:
    seen: list[Incoming] = []

    async def on_event(event: Incoming) -> None:
        seen.append(event)

    lanes = await transport._submit_rooms(response, on_event, None, **kwargs)
    await transport._batch_done(lanes, on_event)
    return [event.body for event in seen]


async def test_first_start_answers_what_came_after_the_bots_join(transport):
    response = batch(message(1, "!update old"), bot_join(2), message(3, "!help"))
    assert await delivered(transport, response, first_start=True) == ["!help"]


async def test_an_old_join_still_in_the_timeline_opens_nothing(transport):
    """A lost database: the bot's join of last year is still among the last
    events, but this run did not make it."""
    old_join = bot_join(2, ts=1_700_000_000_000)
    response = batch(old_join, message(3, "!update sent before this start"))
    assert await delivered(transport, response, first_start=True) == []


async def test_first_start_in_a_room_it_was_already_in_answers_nothing(transport):
    response = batch(message(1, "!update sent before the bot's first start"))
    assert await delivered(transport, response, first_start=True) == []


async def test_later_syncs_answer_everything_new(transport):
    response = batch(message(1, "!next"), message(2, "!help"))
    assert await delivered(transport, response, first_start=False) == ["!next", "!help"]
