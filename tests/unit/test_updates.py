"""Handler behaviour through the real core, router, handlers and SQLite."""

from bot.meeting.group_calendar import OPEN_PERIOD
from bot.meeting.updates import MAX_UPDATE_CHARS
from bot.runtime.router import Reply, Role

ANNA = "@anna:example.org"
BO = "@bo:example.org"
CHAIR = "@chair:example.org"


async def stored(harness):
    async with harness.core.storage.transaction() as repo:
        return await repo.updates_for("allies", OPEN_PERIOD)


async def test_update_is_stored_and_acknowledged_as_reply(harness):
    replies = await harness.say(ANNA, "!update Pilot with 3 micro-credentials", "$u1")
    assert len(replies) == 1
    assert replies[0].body.startswith("Thanks, your update for FORTHEM is recorded for ")
    assert replies[0].reply_to == "$u1"
    assert replies[0].mentions == ()
    [update] = await stored(harness)
    assert (update.sender, update.alliance, update.text, update.event_id) == (
        ANNA,
        "FORTHEM",
        "Pilot with 3 micro-credentials",
        "$u1",
    )
    assert update.created_at.tzinfo is not None


async def test_updates_lists_by_alliance(harness):
    await harness.say(BO, "!update CIVIS news")
    await harness.say(ANNA, "!update FORTHEM news")
    await harness.say(CHAIR, "!update more from FORTHEM")
    [reply] = await harness.say(ANNA, "!updates")
    body = reply.body
    assert "Updates for the next meeting** (3 updates)" in body
    assert body.index("CIVIS") < body.index("CIVIS news") < body.index("FORTHEM**")
    assert body.index("FORTHEM news") < body.index("more from FORTHEM")
    assert "<strong>CIVIS</strong>" in reply.html


async def test_empty_updates(harness):
    [reply] = await harness.say(ANNA, "!updates")
    assert reply.body.startswith("No updates yet")


async def test_empty_update_gets_usage_and_stores_nothing(harness):
    [reply] = await harness.say(ANNA, "!update   ")
    assert reply.body == "Please add the text of your update.\n\nUsage: `!update <text>`"
    assert await stored(harness) == []


async def test_over_long_update_refused_and_not_stored(harness):
    [reply] = await harness.say(ANNA, "!update " + "x" * (MAX_UPDATE_CHARS + 1))
    assert "the limit is 4,000" in reply.body
    assert await stored(harness) == []


async def test_100_kb_message_gets_a_clear_reply(harness):
    [reply] = await harness.say(ANNA, "!update " + "y" * 100_000)
    assert "100,000 characters" in reply.body
    [reply] = await harness.say(ANNA, "!updates")
    assert reply.body.startswith("No updates yet")


async def test_outsider_cannot_send_updates(harness):
    [reply] = await harness.say("@stranger:example.org", "!update hi")
    assert reply.body == "Sorry, `!update` is for members of the group only."
    assert await stored(harness) == []


async def test_help_lists_only_what_the_sender_may_use(harness):
    [member] = await harness.say(ANNA, "!help")
    assert "`!update`" in member.body and "`!updates`" in member.body
    assert "`!skip`" not in member.body
    [outsider] = await harness.say("@stranger:example.org", "!help")
    assert "`!help <command>`" in outsider.body and "!update" not in outsider.body


async def test_unknown_command_hints_help(harness):
    [reply] = await harness.say(ANNA, "!updaet hello")
    assert reply.body == (
        "I don't know the command `!updaet`. Did you mean `!update`? Type `!help` for the list."
    )


async def test_plain_chat_is_ignored(harness):
    assert await harness.say(ANNA, "good morning everyone!") == []


async def test_same_event_twice_is_answered_once(harness):
    assert len(await harness.say(ANNA, "!update once", "$dup")) == 1
    assert await harness.say(ANNA, "!update once", "$dup") == []
    assert len(await stored(harness)) == 1


async def test_edit_changes_the_stored_text(harness):
    await harness.say(ANNA, "!update first text", "$orig")
    [reply] = await harness.edit(ANNA, "$orig", "!update second text")
    assert reply.body == "Your update is changed."
    [update] = await stored(harness)
    assert update.text == "second text" and update.edited_at is not None


async def test_edit_by_someone_else_is_ignored(harness):
    await harness.say(ANNA, "!update mine", "$orig")
    assert await harness.edit(BO, "$orig", "!update hijacked") == []
    assert [u.text for u in await stored(harness)] == ["mine"]


async def test_edit_that_is_no_longer_an_update_removes_it(harness):
    await harness.say(ANNA, "!update oops", "$orig")
    [reply] = await harness.edit(ANNA, "$orig", "never mind")
    assert "removed" in reply.body
    assert await stored(harness) == []


async def test_over_long_edit_keeps_the_earlier_text(harness):
    await harness.say(ANNA, "!update short", "$orig")
    [reply] = await harness.edit(ANNA, "$orig", "!update " + "z" * 5000)
    assert "earlier text is kept" in reply.body
    assert [u.text for u in await stored(harness)] == ["short"]


async def test_editing_a_typo_into_an_update_stores_it(harness):
    await harness.say(ANNA, "!updat typo", "$typo")
    await harness.edit(ANNA, "$typo", "!update fixed")
    [update] = await stored(harness)
    assert (update.text, update.event_id) == ("fixed", "$typo")


async def test_redaction_removes_the_update(harness):
    await harness.say(ANNA, "!update to be deleted", "$gone")
    [reply] = await harness.redact(ANNA, "$gone")
    assert "removed it" in reply.body and reply.reply_to is None
    assert await stored(harness) == []
    assert await harness.redact(ANNA, "$unrelated") == []


async def test_member_text_is_inert_in_html(harness):
    evil = "!update <img src=x onerror=alert(1)> @room [click](https://evil.example) **bold**"
    await harness.say(ANNA, evil)
    [reply] = await harness.say(ANNA, "!updates")
    assert "<img" not in reply.html and "&lt;img" in reply.html
    assert "<a " not in reply.html and "<strong>bold" not in reply.html
    assert "@room" not in reply.html and "@room" not in reply.body
    assert "[click](https://evil.example)" in reply.body  # members read what they wrote
    assert reply.mentions == ()


async def test_failing_handler_rolls_back_and_apologises(harness):
    @harness.core.router.command("boom", role=Role.MEMBER, usage="!boom", summary="fails")
    async def boom(ctx) -> Reply:
        await ctx.repo.add_update(
            group_id="allies",
            period=OPEN_PERIOD,
            sender=ANNA,
            alliance="X",
            text="half",
            event_id="$half",
            now=ctx.now,
        )
        raise RuntimeError("disk on fire")

    [reply] = await harness.say(ANNA, "!boom", "$boom")
    assert reply.body.startswith("Sorry, something went wrong")
    assert await stored(harness) == []
    assert await harness.say(ANNA, "!boom", "$boom") == []
    [ok] = await harness.say(ANNA, "!updates")
    assert ok.body.startswith("No updates yet")


async def test_long_listing_is_split_into_several_messages(harness):
    for index in range(12):
        await harness.say(ANNA, f"!update {index:02d} " + "w" * 3900)
    replies = await harness.say(ANNA, "!updates")
    assert len(replies) >= 3
    assert all(len(r.body) <= 16_000 for r in replies)
    assert all(f"{i:02d} " in "".join(r.body for r in replies) for i in range(12))
    assert len({r.reply_to for r in replies}) == 1


async def test_the_whole_flow_on_postgresql(postgres, tmp_path):
    """Handlers, router and core on a real PostgreSQL server, as a deployment would run."""
    from tests.unit.fakes import CONFIG, make_harness

    url = postgres.create_database(f"flow_{tmp_path.name[-12:].replace('-', '_').lower()}")
    h = await make_harness(
        tmp_path, CONFIG.replace('url = "sqlite+aiosqlite:///bot.db"', f'url = "{url}"')
    )
    try:
        assert h.core.storage.backend == "postgresql"
        [ack] = await h.say(ANNA, "!update from PostgreSQL", "$pg1")
        assert ack.body.startswith("Thanks, your update for FORTHEM is recorded for ")
        assert await h.say(ANNA, "!update from PostgreSQL", "$pg1") == []
        [listing] = await h.say(BO, "!updates")
        assert "from PostgreSQL" in listing.body
    finally:
        await h.core.storage.close()
