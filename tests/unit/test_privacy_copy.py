"""`!mydata` holds the person's data only (GDPR Art. 15(4)): the bot's
replies to them are exported as when and what they answered, never with
other members' text in them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.chat.transport import private_to
from tests.unit.fakes import CONFIG_WITH_CADENCE, make_harness

ANNA, BO = "@anna:example.org", "@bo:example.org"


async def export_of(h, who: str) -> tuple[str, dict]:
    replies = await h.say(who, "!mydata")
    _summary, file = [r for r in replies if r.room_id == private_to(who)]
    return file.file.data.decode(), json.loads(file.file.data)


async def test_neither_members_copy_holds_the_others_update(tmp_path):
    h = await make_harness(tmp_path, CONFIG_WITH_CADENCE)
    h.clock = datetime(2026, 3, 2, 9, tzinfo=UTC)
    await h.say(ANNA, "!update Anna's quokka census is complete")
    await h.say(BO, "!update Bo's wombat survey starts in May")
    for who in (ANNA, BO):
        [listing] = await h.say(who, "!updates")
        assert "quokka census" in listing.body and "wombat survey" in listing.body
    anna_raw, anna = await export_of(h, ANNA)
    bo_raw, _bo = await export_of(h, BO)
    assert "quokka census" in anna_raw and "wombat survey" not in anna_raw
    assert "wombat survey" in bo_raw and "quokka census" not in bo_raw
    assert [u["text"] for u in anna["stored"]["updates"]] == ["Anna's quokka census is complete"]
    replies = [m for m in anna["stored"]["outbox"] if m["answering_your_message"]]
    assert replies, "the bot's replies to Anna are listed"
    assert all(set(m) >= {"created_at", "answering_your_message"} for m in replies)
    assert all("body" not in m and "html" not in m for m in anna["stored"]["outbox"])
    await h.core.storage.close()
