from hypothesis import given
from hypothesis import strategies as st

from bot.meeting.render import escape, split_markdown, to_html, to_plain


@given(st.text(max_size=300))
def test_escaped_member_text_reads_back_exactly_and_renders_no_markup(text):
    escaped = escape(text)
    assert to_plain(escaped).replace("\u2060", "") == text
    html = to_html(escaped)
    # indented lines may become an (inert) code block; nothing else may turn into markup
    for tag in ("<a ", "<img", "<script", "<em>", "<strong>", "<h1>", "<ul>", "<ol>", "<hr"):
        assert tag not in html


def test_room_ping_defused_in_any_case():
    assert "@room" not in to_plain(escape("hi @room and @ROOM")).lower()
    assert "@roomba" in to_plain(escape("@roomba")).replace("\u2060", "")


def test_split_keeps_paragraphs_and_limits():
    blocks = [f"paragraph {i} " + "a" * 90 for i in range(50)]
    chunks = split_markdown("\n\n".join(blocks), limit=1000)
    assert all(len(chunk) <= 1000 for chunk in chunks)
    assert "\n\n".join(chunks) == "\n\n".join(blocks)


def test_split_hard_cuts_one_huge_paragraph():
    chunks = split_markdown("b" * 2500, limit=1000)
    assert [len(c) for c in chunks] == [1000, 1000, 500]


def test_short_text_is_one_chunk():
    assert split_markdown("hello") == ["hello"]
