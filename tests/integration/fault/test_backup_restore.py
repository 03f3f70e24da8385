"""Fault suite (e): a backup taken while commands pour in restores into a
fresh folder, and the bot started there is the same device, answers nothing
twice and loses nothing up to the backup (what came after it is fetched
again from the homeserver and answered under the same transaction ids)."""

from __future__ import annotations

import asyncio
import json
import sqlite3

import pytest

from ..bot_process import BotProcess, run_cli
from .helpers import READY, make_world, replies, wait_until

pytestmark = pytest.mark.fault


def device_of(bot: BotProcess) -> str:
    return json.loads((bot.workdir / "data" / "matrix-session.json").read_text())["device_id"]


def stored_updates(bot: BotProcess) -> set[str]:
    with sqlite3.connect(bot.workdir / "data" / "bot.db") as db:
        return {row[0] for row in db.execute("SELECT event_id FROM updates")}


async def test_a_backup_under_load_restores_and_runs(synapse, make_member, tmp_path):
    (tmp_path / "first").mkdir()
    world = await make_world(synapse, make_member, tmp_path / "first", count=3)
    await world.bot.start()
    await world.bot.wait_for_log(READY)
    observer = world.members[0]
    sent: list[str] = []

    async def burst(member, index: int) -> None:
        for n in range(20):
            sent.append(await member.send_text(world.room, f"!update m{index} n{n}"))

    senders = asyncio.gather(*(burst(m, i) for i, m in enumerate(world.members[1:])))
    await wait_until(
        lambda: sum(replies(observer, world.room, sent).values()) >= 8, 60, "8 answers"
    )
    archive = tmp_path / "backup.tar.gz"
    out = await run_cli(world.bot, "backup", "--out", str(archive))
    assert "backup written" in out and oct(archive.stat().st_mode & 0o777) == "0o600"
    await senders
    await wait_until(lambda: all(replies(observer, world.room, sent).values()), 90, "all answers")
    await world.bot.stop()
    first_device = device_of(world.bot)

    (tmp_path / "second").mkdir()
    fresh = BotProcess(tmp_path / "second", world.bot.config_path.read_text(), world.bot.password)
    assert "restored" in await run_cli(fresh, "restore", "--from", str(archive))
    restored = stored_updates(fresh)
    assert 8 <= len(restored) <= len(sent)  # what was stored when the backup was taken
    assert device_of(fresh) == first_device
    await fresh.start()
    await fresh.wait_for_log(READY)
    last = await world.members[1].send_text(world.room, "!update after the restore")
    await world.members[1].wait_for_reply(world.room, last, timeout=30)
    await asyncio.sleep(2)
    await observer.sync_barrier()
    counts = replies(observer, world.room, [*sent, last])
    assert sorted(set(counts.values())) == [1], {k: v for k, v in counts.items() if v != 1}
    await fresh.stop()
    assert stored_updates(fresh) >= restored | {last}
    assert stored_updates(fresh) == {*sent, last}  # the rest fetched again: nothing lost
