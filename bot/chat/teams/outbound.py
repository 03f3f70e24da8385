"""A queued message as the activity Teams gets.

Bots cannot react in Teams: an acknowledgement is a one-character reply
(docs/operating.md, Teams: acknowledgements). Bots cannot upload files into channels: a file
becomes a link to the bot's own server (`files.FileShelf`). Text is the
core's HTML (the subset Teams renders) with the bot's mention pills turned
into Teams mentions of exactly the people the message mentions.
"""

from __future__ import annotations

import html
from urllib.parse import quote

from microsoft_agents.activity import Activity

from bot.chat.teams.files import FILE_TTL_SECONDS, PRIVATE_FILE_TTL_SECONDS, FileShelf
from bot.chat.teams.people import TeamsPeople
from bot.chat.teams.text import teams_html
from bot.chat.transport import Outgoing, OutgoingFile, private_user

ACKNOWLEDGEMENT = "✅"


def _message(text: str, entities: list | None = None, text_format: str = "xml") -> Activity:
    body = {"type": "message", "text": text, "textFormat": text_format}
    if entities:
        body["entities"] = entities
    return Activity.model_validate(body)


def file_link(shelf: FileShelf, public_url: str, file: OutgoingFile, *, private: bool) -> str:
    ttl = PRIVATE_FILE_TTL_SECONDS if private else FILE_TTL_SECONDS
    token = shelf.put(file.name, file.mimetype, file.data, ttl)
    link = f"{public_url}/files/{token}/{quote(file.name)}"
    days = ttl // 86400
    return (
        f'📎 <a href="{html.escape(link)}">{html.escape(file.name)}</a> '
        f"(the link works for {days} day{'s' if days != 1 else ''})"
    )


async def activity_for(
    message: Outgoing,
    people: TeamsPeople,
    shelf: FileShelf,
    public_url: str,
    where: tuple[str, str],
) -> Activity:
    """`where` is (service URL, conversation): where mentions are looked up."""
    if message.reaction is not None:
        return _message(ACKNOWLEDGEMENT, text_format="plain")
    if message.file is not None:
        private = private_user(message.room_id) is not None
        return _message(file_link(shelf, public_url, message.file, private=private))
    mentions = {}
    for person in message.mentions:
        mention = await people.mention_for(person, *where)
        if mention is not None:
            mentions[person] = mention
    source = message.html or html.escape(message.body, quote=False).replace("\n", "<br>")
    text, entities = teams_html(source, mentions)
    return _message(text, entities)
