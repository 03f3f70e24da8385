"""The minutes' .md file reads as plain text, and renders exactly as the message does."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from bot.meeting.render import escape, readable, to_html

GOLDEN = Path(__file__).parent / "golden"
EVIL = [
    "# not a heading",
    "- not a list",
    "1. not a list either",
    "2026. A year, then a full stop",
    "*bold?* _italic?_ `code?`",
    "<script>alert(1)</script>",
    "[x](https://evil.example) ![img](https://evil.example/i.png)",
    "Sub-group reports on docs.example.org (see p. 3) + more = fine!",
    "===",
    "---",
    "a \\ backslash \\- and \\\\( two",
    "> not a quote",
    "+ plus",
    "&amp; &#65;",
]


def test_the_golden_minutes_read_plainly_and_render_the_same():
    for name in ("minutes_full.md", "minutes_minimal.md"):
        markdown = (GOLDEN / name).read_text()
        plain = readable(markdown)
        assert to_html(plain) == to_html(markdown), name
        assert plain.count("\\") < markdown.count("\\") or "\\" not in markdown, name
    full = readable((GOLDEN / "minutes_full.md").read_text())
    assert not re.search(r"[^\W\d]\\[-.!()#]", full), "escapes inside words are gone"


def test_member_texts_render_the_same_in_the_file():
    for text in EVIL:
        for line in (escape(text), f"- {escape(text)}", f"1. {escape(text)}", f"> {escape(text)}"):
            assert to_html(readable(line)) == to_html(line), line
    plain = readable(f"- {escape(EVIL[7])}")
    assert plain == "- Sub-group reports on docs.example.org (see p. 3) + more = fine!"


@given(
    st.lists(
        st.text(alphabet=st.sampled_from(list("ab #-+.=!()|~{}*_[]<>&\\`1 \n")), max_size=30),
        max_size=4,
    )
)
def test_any_member_text_renders_the_same_in_the_file(texts):
    markdown = "\n".join(f"- {escape(t)}" for t in texts) + "\n\n" + "\n".join(map(escape, texts))
    assert to_html(readable(markdown)) == to_html(markdown)
