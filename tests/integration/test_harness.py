"""Proves the harness itself works, so bot test failures mean bot bugs."""

from __future__ import annotations

import asyncio

import pytest

from .conftest import MakeMember
from .matrix_member import MatrixMember
from .synapse_server import SynapseServer


async def test_runs_in_session_loop_with_real_synapse(
    synapse: SynapseServer, request: pytest.FixtureRequest
) -> None:
    # conftest's hook must have made these session-loop tests marked `synapse`
    assert request.node.get_closest_marker("asyncio").kwargs == {"loop_scope": "session"}
    assert request.node.get_closest_marker("synapse") is not None
    versions = await synapse.request("GET", "/_matrix/client/versions")
    assert "versions" in versions
    assert synapse.base_url.startswith("http://127.0.0.1:")
    assert synapse.running


async def test_message_and_reply_between_two_members(make_member: MakeMember) -> None:
    alice: MatrixMember = await make_member("alice")
    bob: MatrixMember = await make_member("bob")

    room_id = await alice.create_room("harness", invite=[bob.user_id])
    await bob.wait_for_invite(room_id)
    await bob.join(room_id)

    hello = await alice.send_text(room_id, "hello bob")
    seen = await bob.wait_for(room_id, lambda ev: ev.get("event_id") == hello)
    assert seen["sender"] == alice.user_id
    assert seen["content"]["body"] == "hello bob"

    answer = await bob.send_text(room_id, "hi alice", reply_to=hello)
    reply = await alice.wait_for_reply(room_id, hello)
    assert reply["event_id"] == answer
    assert reply["sender"] == bob.user_id
    assert reply["body"] == "hi alice"

    await alice.sync_barrier()
    assert [ev["event_id"] for ev in alice.replies_to(room_id, hello)] == [answer]
    assert [ev["content"]["body"] for ev in alice.events_from(bob.user_id, room_id)] == ["hi alice"]


async def test_edit_and_redact_are_recorded(make_member: MakeMember) -> None:
    alice = await make_member("alice")
    bob = await make_member("bob")
    room_id = await alice.create_room("edits", invite=[bob.user_id])
    await bob.join(room_id)
    mark = bob.cursor(room_id)

    original = await alice.send_text(room_id, "typo")
    edit = await alice.edit(room_id, original, "fixed")
    await alice.redact(room_id, original)

    edited = await bob.wait_for(room_id, lambda ev: ev.get("event_id") == edit)
    assert edited["content"]["m.new_content"]["body"] == "fixed"
    assert edited["content"]["m.relates_to"] == {"rel_type": "m.replace", "event_id": original}
    await bob.wait_for(room_id, lambda ev: ev.get("type") == "m.room.redaction")
    assert original in bob.redacted_ids(room_id)
    assert [ev["event_id"] for ev in bob.events_from(alice.user_id, room_id, mark)] == [
        original,
        edit,
    ]


async def test_wait_for_reply_times_out_without_reply(member: MatrixMember) -> None:
    room_id = await member.create_room("lonely")
    own = await member.send_text(room_id, "anyone?")
    await member.send_text(room_id, "self-reply does not count", reply_to=own)
    with pytest.raises(TimeoutError):
        await member.wait_for_reply(room_id, own, timeout=1.0)


async def test_restart_keeps_data_and_clients_recover(
    synapse: SynapseServer, make_member: MakeMember
) -> None:
    alice = await make_member("alice")
    room_id = await alice.create_room("restart")
    port = synapse.port
    await synapse.restart()
    assert synapse.port == port
    after = await alice.send_text(room_id, "still here")
    await asyncio.wait_for(alice.wait_for(room_id, lambda ev: ev["event_id"] == after), 15)
