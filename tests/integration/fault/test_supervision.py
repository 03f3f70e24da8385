"""Fault suite (f): the supervisor keeps the real `allies-bot run` going.

- PostgreSQL restarted (a fast shutdown, every connection cut) in the middle
  of a burst of `!update`s: the outbox sender and the sync loop meet the
  database errors, are restarted, and every command is still answered
  exactly once, none with an apology, and every update stored once (a
  command that met the database out of reach is done again, not "sorry").
- PostgreSQL restarted while the bot is idle: the next command is not lost.
- The sender raises (`ALLIES_BOT_FAULT_SEND_ERRORS`, the outbox's test seam):
  the reply still goes out, once, and the traceback is logged once.
"""

from __future__ import annotations

import asyncio
import secrets

import aiohttp
import asyncpg
import pytest

from bot.runtime.core import FAILURE_REPLY
from bot.runtime.outbox import FAULT_SEND_ERRORS_ENV
from tests.loopback import free_port

from .helpers import READY, each_answered_once, make_world, replies, wait_until

pytestmark = pytest.mark.fault
SQLITE_URL = 'url = "sqlite+aiosqlite:///data/bot.db"'


def on_postgres(world, url: str) -> None:
    """Point the bot's config at a PostgreSQL database instead of SQLite."""
    config = world.bot.config_path.read_text()
    assert SQLITE_URL in config
    world.bot.config_path.write_text(config.replace(SQLITE_URL, f'url = "{url}"'))


async def restart_postgres(server) -> None:
    """`pg_ctl restart -m fast`: every session is cut, the server is down a
    moment, then back on the same port (its options are kept in the data
    directory; the log file must be named again, or pg_ctl's pipe never closes)."""
    log = str(server.workdir / "server.log")
    restart = ("pg_ctl", "-D", str(server.datadir), "-l", log, "-m", "fast", "-w", "restart")
    await asyncio.to_thread(server._run, *restart)


async def stored_updates(server, database: str) -> tuple[int, int]:
    conn = await asyncpg.connect(
        host="127.0.0.1", port=server.port, user="postgres", database=database
    )
    try:
        row = await conn.fetchrow("SELECT COUNT(*), COUNT(DISTINCT event_id) FROM updates")
    finally:
        await conn.close()
    return row[0], row[1]


async def bot_on_postgres(synapse, make_member, postgres, tmp_path, members: int):
    """The real bot on a fresh PostgreSQL database, running; (world, database)."""
    database = f"bot_{secrets.token_hex(4)}"
    world = await make_world(synapse, make_member, tmp_path, count=members)
    on_postgres(world, postgres.create_database(database))
    await world.bot.start()
    await world.bot.wait_for_log(READY)
    return world, database


async def test_postgres_restarted_mid_burst(synapse, make_member, postgres, tmp_path):
    world, database = await bot_on_postgres(synapse, make_member, postgres, tmp_path, 3)
    observer = world.members[0]
    sent: list[str] = []

    async def burst(member, index: int) -> None:
        for n in range(10):
            sent.append(await member.send_text(world.room, f"!update m{index} n{n}"))
            await asyncio.sleep(0.1)

    senders = asyncio.gather(*(burst(m, i) for i, m in enumerate(world.members)))
    await wait_until(
        lambda: sum(replies(observer, world.room, sent).values()) >= 5, 30, "the first answers"
    )
    await restart_postgres(postgres)
    await senders
    assert len(sent) == 30
    await each_answered_once(observer, world.room, sent, timeout=45)
    answers = [
        e["content"].get("body", "") for i in sent for e in observer.replies_to(world.room, i)
    ]
    assert not [a for a in answers if FAILURE_REPLY in a], (
        "an apology for a command still to be done"
    )
    assert world.bot.process.returncode is None
    await world.bot.stop()
    assert await stored_updates(postgres, database) == (30, 30)


async def test_postgres_restarted_while_idle(synapse, make_member, postgres, tmp_path):
    world, database = await bot_on_postgres(synapse, make_member, postgres, tmp_path, 2)
    member = world.members[1]
    try:
        await member.ask(world.room, "!update before the restart")
        await restart_postgres(postgres)
        reply = await member.ask(world.room, "!update after the restart", timeout=30)
        assert "Sorry" not in reply["body"], reply["body"]
    finally:
        await world.bot.stop()
    assert await stored_updates(postgres, database) == (2, 2)


async def metric(base: str, sample: str) -> float:
    async with aiohttp.ClientSession() as http, http.get(f"{base}/metrics") as answer:
        text = await answer.text()
    line = next((line for line in text.splitlines() if line.startswith(sample + " ")), None)
    return float(line.split()[-1]) if line else 0.0


async def test_a_raising_sender_still_delivers_the_reply(synapse, make_member, tmp_path):
    port = free_port()
    world = await make_world(
        synapse, make_member, tmp_path, count=2, extra_toml=f'[ops]\nlisten = "127.0.0.1:{port}"\n'
    )
    world.bot.extra_env[FAULT_SEND_ERRORS_ENV] = "3"
    base = f"http://127.0.0.1:{port}"
    await world.bot.start()
    await world.bot.wait_for_log(READY)
    member = world.members[1]
    command = await member.send_text(world.room, "!update despite a flaky sender")
    await member.wait_for_reply(world.room, command, timeout=30)
    await member.sync_barrier()
    assert len(member.replies_to(world.room, command)) == 1
    assert await metric(base, 'allies_messages_total{outcome="retry"}') == 3.0
    assert await metric(base, 'allies_messages_total{outcome="given_up"}') == 0.0
    log = world.bot.log()
    tracebacks = [line for line in log.splitlines() if line.startswith("ConnectionResetError")]
    assert len(tracebacks) == 1, log[-3000:]  # one traceback, then a line per repeat
    assert log.count("will retry") == 3
    loop = asyncio.get_running_loop()
    stopping = loop.time()
    assert await world.bot.stop() == 0  # SIGTERM: a clean exit, and a quick one
    assert loop.time() - stopping < 5
