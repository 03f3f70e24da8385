"""One Markdown source for every reply: plain `body` and HTML from the same text.

Member text is data. `escape` backslash-escapes every character that can
start Markdown syntax, so nothing a member typed becomes a link, image, heading or HTML,
and defuses `@room`. Raw HTML is disabled in the renderer as a second wall.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
# The characters that can start Markdown syntax (emphasis, links, autolinks,
# code, headings incl. setext `===`, lists, tables, entities). Others (`:`,
# `@`, `'`) stay as typed so the .md file of the minutes reads naturally.
_SYNTAX = r"\\`*_{}\[\]()#+\-.!<>|~&="
_PUNCTUATION = re.compile(f"([{_SYNTAX}])")
_ESCAPED = re.compile(f"\\\\([{_SYNTAX}])")
_ROOM_PING = re.compile(r"@(room\b)", re.IGNORECASE)
WORD_JOINER = "\u2060"
# Only the bot writes unescaped links: mention pills from `agenda.mention`.
_PILL_LINK = re.compile(r"\[((?:[^\]\\]|\\.)*)\]\(https://matrix\.to/#/[^)\s]+\)")
MAX_CHUNK_CHARS = 16_000


def plural(number: int, singular: str, plural_form: str | None = None) -> str:
    """ "1 update", "2 updates": a count with its noun, never "1 updates"."""
    word = singular if number == 1 else (plural_form or singular + "s")
    return f"{number:,} {word}"


def escape(text: str) -> str:
    """Make member text inert: literal in Markdown, no `@room` ping."""
    text = _ROOM_PING.sub("@" + WORD_JOINER + r"\1", text)
    return _PUNCTUATION.sub(r"\\\1", text)


# Escapes a reader of the .md file need not see: these characters mean
# something only at the start of a line's text (headings, lists, setext
# underlines) or next to a bracket or backtick, which stay escaped.
_CONTEXT_ONLY = "{}()#+-.!|~="
_NEEDLESS = re.compile(f"\\\\([{re.escape(_CONTEXT_ONLY)}])")
_LINE_LEAD = re.compile(r"(?:\s*(?:[-*+]\s+|\d+[.)]\s+|>\s?))*\s*(?:\\[^\n]|\d+\\[.)])?")


def readable(markdown: str) -> str:
    """The Markdown with only the escapes that matter: what renders the same
    (`to_html` agrees, a test checks) but reads as plain text in an editor or
    an e-mail: `Sub-group reports`, `docs.example.org`, not `Sub\\-group`."""
    lines = []
    for line in markdown.split("\n"):
        lead = _LINE_LEAD.match(line).end()  # type: ignore[union-attr]
        lines.append(line[:lead] + _NEEDLESS.sub(r"\1", line[lead:]))
    return "\n".join(lines)


def to_html(markdown: str) -> str:
    return _MARKDOWN.render(markdown).strip()


def to_plain(markdown: str) -> str:
    """The plain-text body: the Markdown with our own escapes undone, so
    members read exactly what they wrote, and mention links shown as the
    name alone (as clients show pills)."""
    return _ESCAPED.sub(r"\1", _PILL_LINK.sub(r"\1", markdown))


def split_for_messages(markdown: str, limit: int) -> list[str]:
    """Chunks of at most `limit` characters for separate messages (every
    reply, the minutes), at paragraph boundaries where it can.

    A cut anywhere could separate a backslash from the character it escapes
    and turn member text live again (`\\<https://…>` becomes an autolink).
    So an oversized block is split at line ends first, and a hard cut never
    lands after an unpaired backslash."""
    pieces: list[tuple[str, str]] = []  # (separator before, text)
    for block in markdown.strip("\n").split("\n\n"):
        for index, line in enumerate(block.split("\n") if len(block) > limit else [block]):
            for cut_index, cut in enumerate(_hard_cut(line, limit)):
                separator = "" if cut_index else "\n" if index else "\n\n"
                pieces.append((separator, cut))
    chunks: list[str] = []
    current = ""
    for separator, text in pieces:
        if current and len(current) + len(separator) + len(text) <= limit:
            current += separator + text
        else:
            if current:
                chunks.append(current)
            current = text
    return [*chunks, current]


def _hard_cut(line: str, limit: int) -> list[str]:
    """Cut one over-long line, never between a backslash and what it escapes."""
    cuts: list[str] = []
    while len(line) > limit:
        end = limit
        while end > 1 and (len(line[:end]) - len(line[:end].rstrip("\\"))) % 2:
            end -= 1
        cuts.append(line[:end])
        line = line[end:]
    return [*cuts, line]
