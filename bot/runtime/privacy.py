"""A person's rights over their data, and the retention, on top of
`storage.repo_privacy`: the copy they may ask for (JSON plus a readable
summary), their erasure, and the daily purge of what is older than each
group's retention. Logs say what was done as counts, never whose data."""

from __future__ import annotations

import json
import logging
import secrets
from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.chat.transport import PRIVATE_PREFIX, private_state_key, private_to
from bot.config import GroupConfig
from bot.meeting.owners import local_part
from bot.meeting.people import FORMER_MEMBER, FORMER_PREFIX, clean_display_name
from bot.meeting.render import escape, plural
from storage.repo import Repo
from storage.repo_privacy import Person

log = logging.getLogger(__name__)
PURGE_HOUR = 3  # local time, daily
LABELS = {  # (one, several): the export's summary counts in words
    "updates": ("update", "updates"),
    "meeting_notes": ("note or attendance record", "notes, attendance records and apologies"),
    "agenda_items": ("proposed agenda item", "proposed agenda items"),
    "action_items": ("action item you own or recorded", "action items you own or recorded"),
    "meeting_sessions": ("meeting you ran", "meetings you ran"),
    "meeting_overrides": ("calendar change you made", "calendar changes you made"),
    "outputs": ("output you own or added", "outputs you own or added"),
    "output_changes": ("step of an output you made", "steps of outputs you made"),
    "display_names": ("display name", "display names"),
    "quiet_members": ("`!quiet` choice", "`!quiet` choices"),
    "outbox": (
        "message of the bot to you or naming you",
        "messages of the bot to you or naming you",
    ),
    "bot_state": ("private chat with the bot", "private chats with the bot"),
    "mail_outbox": ("mail of the bot to you", "mails of the bot to you"),
    "mail_tokens": (
        "reply or opt-out link in a mail to you",
        "reply and opt-out links in mails to you",
    ),
    "web_links": ("sign-in link to the web archive", "sign-in links to the web archive"),
    "web_sessions": (
        "browser signed in to the web archive",
        "browsers signed in to the web archive",
    ),
}


MIN_NAME_CHARS = 3  # a shorter name would match inside unrelated words


async def names_of(repo: Repo, groups: Iterable[GroupConfig], user_id: str) -> list[str]:
    """The names the person goes by: in the config and on the network."""
    found = [name for g in groups if (name := g.configured_name(user_id))]
    shown = clean_display_name((await repo.display_names()).get(user_id))
    return sorted({*found, *([shown] if shown else [])})


def new_token(alliance: str | None = None) -> str:
    """One person's stand-in, keeping the alliance they stood for (erasure
    and retention alike), so no count of alliances changes."""
    return f"{FORMER_PREFIX}{secrets.token_hex(6)}" + (f":{alliance}" if alliance else "")


def person(user_id: str, all_names: Iterable[str], alliance: str | None = None) -> Person:
    """How stored rows and texts may hold this person (`all_names`: from
    `names_of`). Texts are searched for the id and the names as typed and as
    the bot's Markdown escapes them (`@anna:example\\.org`, `Anna\\-Lena`), on
    word boundaries."""
    names = [n for n in all_names if len(n) >= MIN_NAME_CHARS]
    localpart = local_part(user_id)
    texts = {user_id, escape(user_id), *names, *(escape(n) for n in names)}
    return Person(
        user_id=user_id,
        texts=tuple(sorted(texts, key=len, reverse=True)),
        owner_names=tuple({*names, localpart}),
        private_room=private_to(user_id),
        private_state=private_state_key(user_id),
        token=new_token(alliance),
    )


def roster_lines(groups: Iterable[GroupConfig], user_id: str) -> list[str]:
    """Where the config lists the person (the operator's file, not the database)."""
    lines = []
    for group in groups:
        roles = [
            role
            for role, people in (("chair", group.chairs), ("vice-chair", group.vice_chairs))
            if user_id in people
        ]
        alliance = group.alliance_of(user_id)
        if alliance:
            roles.append(f"member for {alliance}")
        address = group.mail_address_of(user_id)
        if address:
            roles.append(f"mail to {address}")
        if roles:
            lines.append(f"{group.name}: {', '.join(roles)}")
    return lines


async def export_person(
    repo: Repo, groups: Iterable[GroupConfig], user_id: str, now: datetime
) -> tuple[str, str]:
    """(JSON document, Markdown summary) of everything stored about the person."""
    groups = list(groups)
    names = await names_of(repo, groups, user_id)
    who = person(user_id, names)
    rows = await repo.person_rows(who)
    if "outbox" in rows:
        rows["outbox"] = [message_for_export(row, who) for row in rows["outbox"]]
    document = {
        "user": user_id,
        "exported_at": now.isoformat(),
        "names": names,
        "in_the_config": roster_lines(groups, user_id),
        "stored": rows,
    }
    lines = [f"**What allies-bot stores about {escape(user_id)}** (as of {now:%Y-%m-%d %H:%M} UTC)"]
    lines += [f"- in the config: {escape(line)}" for line in roster_lines(groups, user_id)]
    lines += [f"- {_count(table, len(found))}" for table, found in rows.items()]
    if not rows:
        lines.append("- nothing in the database")
    lines.append("The attached JSON file holds every stored row.")
    log.info("privacy export: %d rows in %d tables", sum(map(len, rows.values())), len(rows))
    return json.dumps(document, indent=2, ensure_ascii=False), "\n".join(lines)


def _count(table: str, number: int) -> str:
    one, several = LABELS.get(table, (table, table))
    return plural(number, one, several)


def message_for_export(row: dict, who: Person) -> dict:
    """A message of the bot, as the person's copy may hold it (GDPR Art.
    15(4): a copy must not disclose others' data): when it was sent, where,
    what it answered, and only the lines that name them; never the rest of
    its text (a reply to `!updates` holds everyone's updates) or its file."""
    lines = [line for line in (row.get("body") or "").splitlines() if who.named_in(line)]
    private = row.get("room_id") == who.private_room
    return {
        "id": row.get("id"),
        "where": "a private message to you" if private else row.get("room_id"),
        "answering_your_message": row.get("reply_to"),
        "created_at": row.get("created_at"),
        "sent_at": row.get("sent_at"),
        "file": row.get("file_name"),
        "lines_naming_you": lines,
    }


def alliance_in(groups: Iterable[GroupConfig], user_id: str) -> str | None:
    """The alliance the person stands for, in the first group that lists them."""
    return next((a for g in groups if (a := g.alliance_of(user_id))), None)


async def erase_person(repo: Repo, groups: Iterable[GroupConfig], user_id: str) -> Counter[str]:
    groups = list(groups)
    alliance = alliance_in(groups, user_id)
    done = await repo.erase_person(person(user_id, await names_of(repo, groups, user_id), alliance))
    log.info(
        "privacy erase: %s",
        ", ".join(f"{n} {label}" for label, n in done.items()) or "nothing stored",
    )
    return done


# What an erasure deleted, as the person would name it: (one, several).
_DELETED = {
    "updates deleted": ("update", "updates"),
    "notes deleted": ("note or apology", "notes and apologies"),
    "agenda items deleted": ("proposed agenda item", "proposed agenda items"),
    "private messages deleted": (
        "message the bot sent you alone",
        "messages the bot sent you alone",
    ),
    "sent messages emptied": ("bot message naming you", "bot messages naming you"),
    "stored minutes cleared": ("meeting's stored minutes", "meetings' stored minutes"),
    "mails deleted": ("record of a mail to you", "records of mails to you"),
    "mail links deleted": ("reply or opt-out link", "reply and opt-out links"),
    "web sign-ins deleted": ("web sign-in link", "web sign-in links"),
    "web sessions ended": ("web archive session", "web archive sessions"),
}
_REPLACED = ("ids replaced", "action owners replaced")


def erasure_receipt(done: Counter[str], alliance: str | None) -> str:
    """What `!forget me confirm` did, in two sentences the person can read."""
    deleted = [plural(done[label], *words) for label, words in _DELETED.items() if done[label]]
    if done["display name deleted"]:
        deleted.append("your display name")
    if done["quiet deleted"]:
        deleted.append("your reminder setting")
    first = f"I deleted {_listed(deleted)}." if deleted else "There was nothing of yours to delete."
    replaced = sum(done[label] for label in _REPLACED)
    if not replaced:
        return first
    stand_in = FORMER_MEMBER + (f" ({alliance})" if alliance else "")
    return (
        f"{first} Where the group's record needs a person (attendance, decisions, action "
        f"items, outputs: {plural(replaced, 'place')}), you are now “{stand_in}”, so its "
        "figures do not change."
    )


def _listed(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def done_text(done: Counter[str]) -> str:
    return "; ".join(f"{label}: {n}" for label, n in done.items()) or "nothing was stored"


async def purge_group(
    repo: Repo, group: GroupConfig, rooms: list[str], now: datetime
) -> Counter[str]:
    """One group's retention: what is older than it is aged out."""
    expired = await repo.purge_expired_sign_ins(now)  # no use to anyone once expired
    span = group.privacy.retention.span
    if span is None:
        return expired
    before = now - span
    people = await repo.people_before(group.id, before, FORMER_PREFIX)
    tokens = {user: new_token(group.alliance_of(user)) for user in people}
    done = await repo.age_out(group.id, rooms, PRIVATE_PREFIX, before, tokens) + expired
    if done:
        log.info(
            "retention %s for group %s: %s", group.privacy.retention.text, group.id, done_text(done)
        )
    return done


class RetentionJob:
    """Daily, per group, at PURGE_HOUR local time, and once at start."""

    def __init__(self, core, scheduler: AsyncIOScheduler | None = None) -> None:
        self.core = core
        self.scheduler = scheduler

    async def start(self) -> None:
        """Plan each group's daily purge (by id: looked up when it runs), and purge now."""
        for group in self.core.groups.served():
            if self.scheduler is not None:
                self.scheduler.add_job(
                    self.purge,
                    "cron",
                    hour=PURGE_HOUR,
                    timezone=group.timezone,
                    args=[group.id],
                    id=f"retention:{group.id}",
                    replace_existing=True,
                )
            await self.purge(group.id)

    async def purge(self, group_id: str) -> Counter[str]:
        group = self.core.groups.group(group_id)
        if group is None:
            return Counter()

        async def work(repo: Repo) -> Counter[str]:
            return await purge_group(
                repo, group, self.core.groups.rooms_of(group_id), self.core.clock()
            )

        done = await self.core.storage.run_in_transaction(work)
        self.core.record_changed()
        return done
