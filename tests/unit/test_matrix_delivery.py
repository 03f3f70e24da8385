"""Which events of a Matrix sync batch reach the core (`bot.chat.matrix.delivery`).

Plain event dicts, no nio objects and no homeserver.
"""

from __future__ import annotations

import subprocess
import sys

from bot.chat.matrix.delivery import (
    CLOCK_SKEW_MS,
    Kind,
    Window,
    deliver_late,
    joined_this_run,
    kind,
    senders,
    served,
    window,
)

BOT = "@allies-bot:example.org"
ANNA = "@anna:example.org"
ROOM = "!allies:example.org"
OTHER = "!elsewhere:example.org"
STARTED_MS = 1_700_000_000_000


def message(n: int, sender: str = ANNA) -> dict:
    return {
        "type": "m.room.message",
        "event_id": f"$m{n}",
        "sender": sender,
        "origin_server_ts": STARTED_MS + n,
        "content": {"msgtype": "m.text", "body": f"message {n}"},
    }


def join(user: str = BOT, ts: int = STARTED_MS, previous: str = "invite") -> dict:
    return {
        "type": "m.room.member",
        "event_id": f"$join-{ts}",
        "sender": user,
        "state_key": user,
        "origin_server_ts": ts,
        "content": {"membership": "join"},
        "unsigned": {"prev_content": {"membership": previous}},
    }


def plan(sources: list[dict], *, first_start: bool, limited=False, since=None) -> Window | None:
    return window(sources, BOT, STARTED_MS, first_start=first_start, limited=limited, since=since)


def test_the_module_does_not_import_nio():
    code = "import sys, bot.chat.matrix.delivery; print('nio' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_only_served_rooms_count_in_batch_order():
    join_rooms = {OTHER: "other", ROOM: "ours", "!b:example.org": "b"}
    rooms = {ROOM: object(), "!b:example.org": object()}
    assert served(join_rooms, rooms) == [(ROOM, "ours"), ("!b:example.org", "b")]


def test_senders_of_a_batch():
    assert senders([message(1), message(2, BOT), {"type": "x"}]) == {ANNA, BOT, ""}


def test_a_join_made_by_this_run_opens_the_room():
    assert joined_this_run(join(), BOT, STARTED_MS)
    assert joined_this_run(join(ts=STARTED_MS - CLOCK_SKEW_MS), BOT, STARTED_MS)


def test_an_older_join_or_someone_elses_or_a_profile_change_does_not():
    assert not joined_this_run(join(ts=STARTED_MS - CLOCK_SKEW_MS - 1), BOT, STARTED_MS)
    assert not joined_this_run(join(user=ANNA), BOT, STARTED_MS)
    assert not joined_this_run(join(previous="join"), BOT, STARTED_MS)
    assert not joined_this_run(message(1, BOT), BOT, STARTED_MS)


def test_after_the_join_of_this_run_only_what_followed_it():
    sources = [message(1), join(), message(3), message(4)]
    assert plan(sources, first_start=True) == Window(start=2)
    assert plan(sources, first_start=False, limited=True, since="s1") == Window(start=2)


def test_the_last_join_of_this_run_counts():
    sources = [join(), message(2), join(ts=STARTED_MS + 5), message(6)]
    assert plan(sources, first_start=False) == Window(start=3)


def test_a_join_as_the_last_event_leaves_nothing():
    sources = [message(1), join()]
    window_ = plan(sources, first_start=True)
    assert window_ is not None
    assert sources[window_.start :] == []


def test_first_start_in_a_room_it_was_already_in_answers_nothing():
    assert plan([message(1), message(2)], first_start=True) is None


def test_an_old_join_still_in_the_timeline_opens_nothing_on_the_first_start():
    old = join(ts=STARTED_MS - 365 * 24 * 3600 * 1000)
    assert plan([old, message(2)], first_start=True) is None


def test_later_syncs_deliver_everything():
    assert plan([message(1), message(2)], first_start=False) == Window(start=0, backfill=False)


def test_a_limited_timeline_is_backfilled_back_to_the_stored_token():
    assert plan([message(1)], first_start=False, limited=True, since="s1") == Window(backfill=True)


def test_no_backfill_without_a_token_or_a_gap():
    assert plan([message(1)], first_start=False, limited=True, since=None) == Window()
    assert plan([message(1)], first_start=False, limited=False, since="s1") == Window()


def test_own_events_are_skipped_even_when_encrypted():
    assert kind(message(1, BOT), BOT, undecrypted=False) is Kind.OWN
    encrypted = {**message(1, BOT), "type": "m.room.encrypted"}
    assert kind(encrypted, BOT, undecrypted=True) is Kind.OWN


def test_what_nio_could_not_decrypt_becomes_a_notice():
    encrypted = {**message(1), "type": "m.room.encrypted", "content": {"session_id": "s"}}
    assert kind(encrypted, BOT, undecrypted=True) is Kind.UNDECRYPTABLE
    assert kind(encrypted, BOT, undecrypted=False) is Kind.UNDECRYPTABLE
    assert kind(message(1), BOT, undecrypted=True) is Kind.UNDECRYPTABLE


def test_everything_else_is_read_as_an_event():
    assert kind(message(1), BOT, undecrypted=False) is Kind.EVENT
    redaction = {"type": "m.room.redaction", "sender": ANNA, "redacts": "$m1"}
    assert kind(redaction, BOT, undecrypted=False) is Kind.EVENT
    assert kind(join(user=ANNA), BOT, undecrypted=False) is Kind.EVENT


def test_late_decrypted_events_only_for_served_rooms_and_not_on_the_first_start():
    rooms = {ROOM: object()}
    assert deliver_late(ROOM, rooms, first_start=False)
    assert not deliver_late(ROOM, rooms, first_start=True)
    assert not deliver_late(OTHER, rooms, first_start=False)
