"""A Teams message's text as the core reads it, and the bot's text as Teams shows it.

Incoming: in channels Teams delivers only messages that @mention the bot,
so `<at>ALLIES bot</at> update …` is the normal form of `!update …`. The
bot's own mention is cut out by its entity (the name members see may be
anything), other people's mentions become their ids, Teams' HTML becomes
plain text, and a command may be typed with or without `!`.

Outgoing: the core's HTML (markdown-it, raw HTML disabled, member text
escaped) is already the subset Teams renders; the bot's mention pills
become Teams mentions for exactly the people the message mentions.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

_AT = re.compile(r"<at[^>]*>(.*?)</at>", re.IGNORECASE | re.DOTALL)
_BREAK = re.compile(r"<br\s*/?>|</p>|</div>|</li>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
_PILL = re.compile(r'<a href="https://matrix\.to/#/([^"]+)">(.*?)</a>', re.DOTALL)
_SPACES = re.compile(r"[ \t\u00a0]+")


@dataclass(frozen=True)
class Mention:
    """A Teams mention entity: `text` must appear verbatim in the message."""

    teams_id: str
    name: str

    @property
    def text(self) -> str:
        return f"<at>{html.escape(self.name, quote=False)}</at>"

    def entity(self) -> dict:
        return {
            "type": "mention",
            "text": self.text,
            "mentioned": {"id": self.teams_id, "name": self.name},
        }


def command_text(
    text: str, entities: Sequence[Mapping], bot_id: str, people: Mapping[str, str]
) -> str:
    """The member's words with the bot's mention removed, other mentions as
    person ids (`people`: Teams id -> id), as plain text; `!` added in front
    when the message was a bare command word."""
    mentions = {}
    for entity in entities or ():
        if entity.get("type") != "mention" or not isinstance(entity.get("mentioned"), Mapping):
            continue
        mentioned = entity["mentioned"].get("id", "")
        mentions[str(entity.get("text", ""))] = "" if mentioned == bot_id else people.get(mentioned)

    def replace(match: re.Match) -> str:
        found = mentions.get(match.group(0))
        if found is None:  # someone the bot does not know: their name, as typed
            return _TAG.sub("", match.group(1))
        return found

    plain = _AT.sub(replace, text or "")
    plain = _TAG.sub("", _BREAK.sub("\n", plain))
    plain = html.unescape(plain)
    lines = [_SPACES.sub(" ", line).strip() for line in plain.split("\n")]
    plain = "\n".join(lines).strip()
    if (
        plain
        and not plain.startswith("!")
        and re.match(r"^[A-Za-z][A-Za-z0-9_-]{0,31}(\s|$)", plain)
    ):
        plain = "!" + plain
    return plain


def teams_html(core_html: str, mentions: Mapping[str, Mention]) -> tuple[str, list[dict]]:
    """The message text for Teams and its mention entities. Only the people
    in `mentions` (person id -> Mention) are mentioned; any other pill is
    shown as the name alone. Member text cannot make a mention: it reached
    the HTML escaped, so it holds no `<at>` and no pill."""
    entities: list[dict] = []

    def replace(match: re.Match) -> str:
        mention = mentions.get(html.unescape(match.group(1)))
        if mention is None:
            return match.group(2)
        if not any(e["mentioned"]["id"] == mention.teams_id for e in entities):
            entities.append(mention.entity())
        return mention.text

    return _PILL.sub(replace, core_html), entities
