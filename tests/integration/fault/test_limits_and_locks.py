"""Fault suite (c, d, e): rate limits, the bot down across a post, a locked database."""

from __future__ import annotations

import asyncio
import secrets
import sqlite3
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from ..matrix_member import MatrixMember
from ..synapse_server import SynapseServer
from .helpers import READY, make_world, replies, wait_until

pytestmark = pytest.mark.fault
LIMITED = {"rc_message": {"per_second": 1, "burst_count": 2}}


@pytest_asyncio.fixture(loop_scope="session")
async def limited_synapse(tmp_path_factory):
    """A second Synapse whose message rate limit is switched on (1/s, burst 2)."""
    server = SynapseServer(config_overrides=LIMITED)
    await server.start(tmp_path_factory.mktemp("synapse-limited"))
    yield server
    await server.stop()


async def test_rate_limits_are_honoured_without_loss_or_busy_loop(limited_synapse, tmp_path):
    server = limited_synapse
    admin = await server.register_user(f"admin-{secrets.token_hex(3)}", "pw-admin-1", admin=True)
    clients: list[MatrixMember] = []

    async def make_member(prefix: str) -> MatrixMember:
        user = await server.register_user(f"{prefix}-{secrets.token_hex(3)}", "pw-member-1")
        path = f"/_synapse/admin/v1/users/{user.user_id}/override_ratelimit"
        await server.request(
            "POST",
            path,
            token=admin.access_token,
            json_body={"messages_per_second": 0, "burst_count": 0},
        )
        member = MatrixMember(server.base_url, user.user_id, user.password)
        await member.login()
        clients.append(member)
        return member

    try:
        world = await make_world(server, make_member, tmp_path, count=3)
        await world.bot.start()
        await world.bot.wait_for_log(READY)
        sent = [
            await world.members[i % 3].send_text(world.room, f"!update burst {i}")
            for i in range(12)
        ]
        observer = world.members[0]
        await wait_until(
            lambda: all(replies(observer, world.room, sent).values()),
            90,
            "every command answered despite the rate limit",
        )
        await observer.sync_barrier()
        assert set(replies(observer, world.room, sent).values()) == {1}
        limited = world.bot.log().count("429")
        assert 1 <= limited <= 3 * len(sent), f"{limited} rate-limit log lines"
        await world.bot.stop()
        [(stored,)] = world.db_rows("SELECT COUNT(*) FROM updates")
        assert stored == 12
    finally:
        for client in clients:
            await client.close()


async def test_down_across_post_times_late_agenda_once_stale_reminder_skipped(
    synapse, make_member, tmp_path
):
    now = datetime.now(ZoneInfo("Europe/Brussels"))
    start = (now + timedelta(minutes=3)).replace(second=0, microsecond=0)
    agenda_due = int((start - now - timedelta(seconds=6)).total_seconds())
    toml = f"""
[groups.cadence]
dates = ["{start:%Y-%m-%d %H:%M}"]
[groups.announce]
agenda_before = "{agenda_due}s"
reminders = ["{agenda_due}s"]
chase_updates = "off"
grace = "1s"
"""
    world = await make_world(synapse, make_member, tmp_path, count=2, extra_toml=toml)
    await asyncio.sleep(9)  # both fell due while the bot was down; the reminder's grace is over
    await world.bot.start()
    await world.bot.wait_for_log(READY)
    member = world.members[1]
    await member.wait_for(
        world.room,
        lambda e: (
            e.get("sender") == world.bot_user
            and e["content"].get("body", "").startswith("**Agenda:")
        ),
    )
    await world.bot.stop()
    await world.bot.start()
    await world.bot.wait_for_log(READY)
    await asyncio.sleep(2)
    await member.sync_barrier()
    bodies = [e["content"].get("body", "") for e in member.events_from(world.bot_user, world.room)]
    assert sum(b.startswith("**Agenda:") for b in bodies) == 1
    assert not any(b.startswith("**Reminder:") for b in bodies)
    assert "too late to be useful" in world.bot.log()
    await world.bot.stop()


async def test_a_locked_database_delays_but_loses_nothing(synapse, make_member, tmp_path):
    world = await make_world(synapse, make_member, tmp_path, count=2)
    member = world.members[1]
    await world.bot.start()
    await world.bot.wait_for_log(READY)
    await member.wait_for_reply(world.room, await member.send_text(world.room, "!update warm-up"))
    holder = sqlite3.connect(world.bot.workdir / "data" / "bot.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    sent = [await member.send_text(world.room, f"!update while locked {n}") for n in range(5)]
    await asyncio.sleep(4)
    assert not any(replies(member, world.room, sent).values())  # waiting, not failing
    holder.execute("COMMIT")
    holder.close()
    await wait_until(
        lambda: all(replies(member, world.room, sent).values()),
        40,
        "answers once the lock is released",
    )
    await member.sync_barrier()
    assert set(replies(member, world.room, sent).values()) == {1}
    assert world.bot.process.returncode is None
    await world.bot.stop()
    [(stored,)] = world.db_rows("SELECT COUNT(*) FROM updates")
    assert stored == 6
