"""`allies-bot privacy export|erase --user ID`: the operator's way to answer
a person's request (someone who left the room cannot type `!mydata`)."""

from __future__ import annotations

from bot.cli.calendar_commands import CliError
from bot.config import Config
from bot.config.problems import MATRIX, TEAMS, person_id
from bot.runtime.core import utc_now
from bot.runtime.privacy import done_text, erase_person, export_person
from storage.db import Storage


async def privacy_command(config: Config, action: str, user_id: str, confirmed: bool) -> str:
    user_id = person_id(user_id, MATRIX) or person_id(user_id, TEAMS) or ""
    if not user_id:
        raise CliError(
            "--user: is not a user id like @name:server or a Teams address name@uni.example"
        )
    if action == "erase" and not confirmed:
        raise CliError(
            "erase cannot be undone: add --confirm (run `privacy export` first for a copy)"
        )
    storage = Storage(config.storage.url)
    try:
        await storage.migrate()
        async with storage.transaction() as repo:
            if action == "export":
                document, _ = await export_person(repo, config.groups, user_id, utc_now())
                return document
            done = await erase_person(repo, config.groups, user_id)
    finally:
        await storage.close()
    return (
        f"erased {user_id}: {done_text(done)}. Also take them off the config "
        "(roster, chairs, names), or new messages are stored again."
    )
