"""Fault suite (a, b): SIGKILL mid-burst, and the homeserver going away
(also before the bot ever reached it: SIGTERM still stops it at once)."""

from __future__ import annotations

import asyncio
import signal

import pytest

from bot.runtime.outbox import FAULT_EXIT_BEFORE_MARK_ENV
from tests.loopback import free_port

from ..bot_process import BotProcess, GroupSpec, render_config
from .helpers import READY, each_answered_once, make_world, replies, wait_until

pytestmark = pytest.mark.fault


async def test_sigkill_mid_burst_loses_nothing_and_answers_once(synapse, make_member, tmp_path):
    world = await make_world(synapse, make_member, tmp_path, count=10)
    await world.bot.start()
    await world.bot.wait_for_log(READY)
    observer = world.members[0]
    sent: list[str] = []

    async def burst(member, index: int) -> None:
        for n in range(30):
            sent.append(await member.send_text(world.room, f"!update m{index} n{n}"))

    senders = asyncio.gather(*(burst(m, i) for i, m in enumerate(world.members)))
    await wait_until(
        lambda: sum(replies(observer, world.room, sent).values()) >= 60,
        60,
        "the first 60 acknowledgements",
    )
    assert await world.bot.stop(signal.SIGKILL) == -signal.SIGKILL
    await senders
    assert len(sent) == 300
    await world.bot.start()
    await world.bot.wait_for_log(READY)
    await each_answered_once(observer, world.room, sent, timeout=120)
    await world.bot.stop()
    [(stored, distinct)] = world.db_rows("SELECT COUNT(*), COUNT(DISTINCT event_id) FROM updates")
    assert stored == distinct == 300


async def test_killed_between_sending_and_the_batched_mark_answers_each_command_once(
    synapse, make_member, tmp_path
):
    """The sender marks what it sent in batches: a process that dies after
    sending and before that write resends those replies after the restart,
    under their same transaction ids, and the homeserver keeps one of each."""
    world = await make_world(synapse, make_member, tmp_path, count=3)
    world.bot.extra_env[FAULT_EXIT_BEFORE_MARK_ENV] = "4"
    await world.bot.start()
    await world.bot.wait_for_log(READY)
    observer = world.members[0]
    sent = []
    for n in range(3):
        for index, member in enumerate(world.members):
            sent.append(await member.send_text(world.room, f"!update m{index} n{n}"))
    await asyncio.wait_for(world.bot.process.wait(), 60)
    assert world.bot.process.returncode == 70, world.bot.log()[-2000:]
    assert "exiting before marking" in world.bot.log()
    unmarked = [txn for (txn,) in world.db_rows("SELECT txn_id FROM outbox WHERE sent_at IS NULL")]
    assert unmarked and f"sent {unmarked[0]} as" in world.bot.log()  # sent, not marked
    await wait_until(  # the homeserver has them: they went out before the exit
        lambda: sum(replies(observer, world.room, sent).values()) >= 4, 30, "the four sent"
    )
    world.bot.extra_env.pop(FAULT_EXIT_BEFORE_MARK_ENV)
    await world.bot.start()
    await world.bot.wait_for_log(READY)
    await each_answered_once(observer, world.room, sent, timeout=60)
    await world.bot.stop()
    [(left,)] = world.db_rows("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL")
    assert left == 0
    assert world.bot.log().count(f"sent {unmarked[0]} as") == 2  # resent, kept once


async def test_homeserver_down_ten_seconds(synapse, make_member, tmp_path):
    world = await make_world(synapse, make_member, tmp_path, count=2)
    member = world.members[1]
    await world.bot.start()
    await world.bot.wait_for_log(READY)
    first = await member.send_text(world.room, "!update before")
    await member.wait_for_reply(world.room, first)
    await synapse.stop()

    async def send_during_outage() -> list[str]:  # the client retries until the server is back
        return [await member.send_text(world.room, f"!update during outage {n}") for n in range(3)]

    sending = asyncio.create_task(send_during_outage())
    await asyncio.sleep(10)
    await synapse.start(synapse.workdir)
    during = await asyncio.wait_for(sending, 60)
    for event_id in during:
        await member.wait_for_reply(world.room, event_id, timeout=40)
    await member.sync_barrier()
    assert list(replies(member, world.room, [first, *during]).values()) == [1, 1, 1, 1]
    assert world.bot.process.returncode is None
    await world.bot.stop()


async def test_sigterm_while_the_homeserver_is_out_of_reach_stops_the_bot(tmp_path):
    """Nothing listens where the homeserver should be: nio's login retries
    without end, and `systemctl stop` must not wait for them (it would
    SIGKILL after its own timeout, mid-write perhaps)."""
    homeserver = f"http://127.0.0.1:{free_port()}"
    spec = GroupSpec("allies", "!nowhere:localhost", ["@chair:localhost"], {})
    bot = BotProcess(tmp_path, render_config(homeserver, "@bot:localhost", [spec]), "pw")
    await bot.start()
    await bot.wait_for_log("storage ready")
    await asyncio.sleep(2.0)  # into nio's retries
    assert READY not in bot.log()
    assert await bot.stop(signal.SIGTERM, timeout=10.0) == 0, bot.log()[-2000:]
    assert "stopped while connecting" in bot.log()
