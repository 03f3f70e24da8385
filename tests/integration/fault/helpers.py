"""Shared set-up for the fault suite: a room, members, the bot process."""

from __future__ import annotations

import asyncio
import secrets
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from ..bot_process import BotProcess, GroupSpec, render_config

READY = "sync loop running"


@dataclass
class World:
    members: list
    room: str
    bot: BotProcess
    bot_user: str

    def db_rows(self, query: str) -> list[tuple]:
        with sqlite3.connect(self.bot.workdir / "data" / "bot.db") as conn:
            return conn.execute(query).fetchall()


async def make_world(
    synapse, make_member, tmp_path: Path, count: int, extra_toml: str = ""
) -> World:
    chair = await make_member("chair")
    members = [chair] + [await make_member(f"m{i}") for i in range(count - 1)]
    password = secrets.token_urlsafe(12)
    bot_user = (await synapse.register_user(f"bot-{secrets.token_hex(3)}", password)).user_id
    room = await chair.create_room("ALLIES", invite=[m.user_id for m in members[1:]] + [bot_user])
    await asyncio.gather(*(m.join(room) for m in members[1:]))
    roster = {m.user_id: f"A{i // 2}" for i, m in enumerate(members)}
    spec = GroupSpec("allies", room, [chair.user_id], roster, extra_toml=extra_toml)
    bot = BotProcess(tmp_path, render_config(synapse.base_url, bot_user, [spec]), password)
    return World(members, room, bot, bot_user)


async def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


def replies(member, room: str, event_ids: list[str]) -> dict[str, int]:
    return {event_id: len(member.replies_to(room, event_id)) for event_id in event_ids}


async def each_answered_once(observer, room: str, sent: list[str], *, timeout: float) -> None:
    """Every command got an answer, and (after the observer has caught up
    twice, two seconds apart) no command got two."""
    await wait_until(
        lambda: all(replies(observer, room, sent).values()), timeout, "an answer to every command"
    )
    await observer.sync_barrier()
    await asyncio.sleep(2)
    await observer.sync_barrier()
    counts = replies(observer, room, sent)
    assert sorted(set(counts.values())) == [1], {k: v for k, v in counts.items() if v != 1}
