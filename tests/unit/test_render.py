from hypothesis import given
from hypothesis import strategies as st

from bot.meeting.render import escape, split_for_messages, to_html, to_plain


@given(st.text(max_size=300))
def test_escaped_member_text_reads_back_exactly_and_renders_no_markup(text):
    escaped = escape(text)
    # the escape defuses @room with word joiners (U+2060): compare without them
    assert to_plain(escaped).replace("\u2060", "") == text.replace("\u2060", "")
    html = to_html(escaped)
    # indented lines may become an (inert) code block; nothing else may turn into markup
    for tag in ("<a ", "<img", "<script", "<em>", "<strong>", "<h1>", "<ul>", "<ol>", "<hr"):
        assert tag not in html


def test_room_ping_defused_in_any_case():
    assert "@room" not in to_plain(escape("hi @room and @ROOM")).lower()
    assert "@roomba" in to_plain(escape("@roomba")).replace("\u2060", "")


def test_split_keeps_paragraphs_and_limits():
    blocks = [f"paragraph {i} " + "a" * 90 for i in range(50)]
    chunks = split_for_messages("\n\n".join(blocks), 1000)
    assert all(len(chunk) <= 1000 for chunk in chunks)
    assert "\n\n".join(chunks) == "\n\n".join(blocks)


def test_split_hard_cuts_one_huge_paragraph():
    chunks = split_for_messages("b" * 2500, 1000)
    assert [len(c) for c in chunks] == [1000, 1000, 500]


def test_short_text_is_one_chunk():
    assert split_for_messages("hello", 1000) == ["hello"]


async def test_a_reply_too_long_for_one_message_is_never_cut_inside_an_escape(tmp_path):
    """A reply over one message's size is split for sending; a cut between a
    backslash and what it escapes would turn member text live (`\\<https://…>`
    becomes an autolink). Here the limit falls exactly after a backslash."""
    from bot.meeting.render import MAX_CHUNK_CHARS, escape
    from bot.runtime.router import Reply
    from tests.unit.fakes import ROOM, make_harness

    h = await make_harness(tmp_path)
    markdown = "a" * (MAX_CHUNK_CHARS - 1) + escape("<https://evil.example/x>") + " end"
    assert markdown[MAX_CHUNK_CHARS - 1] == "\\"
    async with h.core.storage.transaction() as repo:
        await h.core.queue(repo, ROOM, "$long", Reply(markdown))
    await h.core.outbox.flush()
    await h.core.storage.close()
    sent = [message for _, message in h.transport.sent]
    assert len(sent) == 2 and all(len(m.body) <= MAX_CHUNK_CHARS for m in sent)
    assert all("<a " not in m.html for m in sent), [m.html[-120:] for m in sent]


def test_the_chase_names_each_alliance_it_waits_for_with_its_people():
    """The count of alliances and the names agree: each alliance is named,
    its people after it (two people of one alliance are not two alliances)."""
    from datetime import UTC, datetime, timedelta

    from bot.calendar.cadence import Meeting
    from bot.meeting.agenda import render_chase
    from bot.meeting.render import to_plain

    start = datetime(2026, 12, 11, 10, 0, tzinfo=UTC)
    meeting = Meeting("2026-12-11T11:00", start, start + timedelta(hours=1))
    one = to_plain(render_chase("ALLIES", meeting, {"CIVIS": ["@a:x.org", "@b:x.org"]}))
    assert "are still missing from CIVIS: @a:x.org, @b:x.org. Send one" in one
    three = to_plain(
        render_chase(
            "ALLIES",
            meeting,
            {"FORTHEM": ["@a:x.org", "@b:x.org"], "CIVIS": ["@c:x.org"], "EUGLOH": ["@d:x.org"]},
        )
    )
    assert (
        "are still missing from 3 alliances: FORTHEM (@a:x.org, @b:x.org); CIVIS (@c:x.org); "
        "EUGLOH (@d:x.org). Send one"
    ) in three


def test_the_reminder_asks_for_updates_only_while_an_alliance_has_sent_none():
    from datetime import UTC, datetime, timedelta

    from bot.calendar.cadence import Meeting
    from bot.meeting.agenda import render_reminder

    start = datetime(2026, 12, 11, 10, 0, tzinfo=UTC)
    meeting = Meeting("2026-12-11T11:00", start, start + timedelta(hours=1))
    asking = render_reminder("ALLIES", meeting, None, "tomorrow", 1)
    assert asking.endswith("1 update received so far; send yours with `!update <text>`.")
    complete = render_reminder("ALLIES", meeting, None, "tomorrow", 4, every_alliance=True)
    assert complete.endswith("4 updates received so far, one from every alliance.")
    assert "send yours" not in complete
