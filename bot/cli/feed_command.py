"""`allies-bot feed show|rotate --group …`: a group's calendar feed link.

Rotating is for a link that got out: the old link answers 404 from the
moment the new one is stored (the running bot reads the token from the
database at each request), and members fetch the new one with `!calendar`.
"""

from __future__ import annotations

from bot.cli.calendar_commands import CliError, groups_named
from bot.config import Config
from bot.runtime.core import utc_now
from bot.runtime.feed import feed_url
from storage.db import Storage


async def feed_command(config: Config, group_id: str | None, action: str) -> str:
    groups = groups_named(config, group_id)
    if len(groups) > 1:
        raise CliError("--group: this config has several groups; name one")
    if config.web is None:
        raise CliError("no [web] in the config: the bot serves no calendar feed")
    [group] = groups
    storage = Storage(config.storage.url)
    try:
        await storage.migrate()
        async with storage.transaction() as repo:
            if action == "rotate":
                token = await repo.rotate_feed_token(group.id, utc_now())
            else:
                token = await repo.feed_token(group.id, utc_now())
    finally:
        await storage.close()
    url = feed_url(config.web, token, group.id)
    if action == "rotate":
        return f"{url}\nThe old link no longer works; members get the new one with !calendar."
    return url
