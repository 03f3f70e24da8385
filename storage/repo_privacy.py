"""Personal data in the database: what is stored about one person (export)
and removing it (erasure); ageing out by the retention is `repo_retention`.

The one place that knows which columns hold a person (`PEOPLE`, plus the
owners' JSON list) and which hold members' own words. Erasure keeps the
group's record readable: what the person wrote alone (updates, notes,
apologies, proposed agenda items) is deleted; everywhere else they are
replaced by one token (`Person.token`, made by the caller), the same in
every column, so attendance and the report still count people right.

Texts are matched on word boundaries, case-sensitively, and in their
Markdown-escaped form too. The database narrows the rows first (a substring
test with `%` and `_` escaped, so a display name cannot match everyone), and
the exact test runs on what it found: an export or an erasure reads the
person's rows, never the whole outbox. Nothing here commits: the caller's
transaction does, all or nothing.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import models as m
from storage.repo_privacy_bytes import blob_holds
from storage.times import to_db

PEOPLE: dict[type, tuple[str, ...]] = {
    m.Update: ("sender",),
    m.AgendaItem: ("proposer",),
    m.MeetingNote: ("author",),
    m.MeetingSession: ("started_by", "ended_by"),
    m.MeetingOverride: ("created_by",),
    m.ActionItem: ("created_by", "closed_by"),
    m.Output: ("owner", "created_by"),
    m.OutputChange: ("changed_by",),
}
OWN_WORDS = ("info", "topic", "apology")  # notes that are the person's own words


@dataclass(frozen=True)
class Person:
    """Who a privacy request is about, as the caller resolved them."""

    user_id: str
    texts: tuple[str, ...]  # how stored texts may name them: id, names, raw and escaped
    owner_names: tuple[str, ...]  # plain names an action item's owners may hold
    private_room: str  # the outbox room of messages to them alone
    private_state: str  # the bot_state key of their private channel
    token: str  # what stands for them after erasure

    def named_in(self, text: str | bytes | None) -> bool:
        if not text:
            return False
        if isinstance(text, bytes):
            text = text.decode("utf-8", errors="replace")
        return any(_word(needle).search(text) for needle in self.texts)


def _word(needle: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w@]){re.escape(needle)}(?![\w])")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value


def _row(obj: Any) -> dict[str, Any]:
    return {c.key: _plain(getattr(obj, c.key)) for c in obj.__table__.columns}


class PrivacyRepo:
    session: AsyncSession

    async def person_rows(self, person: Person) -> dict[str, list[dict]]:
        """Every stored row that holds the person, by table: their rows, action
        items they own, the bot's messages naming them or sent to them."""
        found: dict[str, list[dict]] = {}
        user = person.user_id
        for model, columns in PEOPLE.items():
            query = select(model).where(or_(*(getattr(model, c) == user for c in columns)))
            rows = list(await self.session.scalars(query))
            if model is m.ActionItem:  # owners are a JSON list: narrowed in SQL, matched here
                ids = {r.id for r in rows}
                owned = select(model).where(_may_own(person))
                rows += [
                    r
                    for r in await self.session.scalars(owned)
                    if r.id not in ids and self._owns(person, r.owners)
                ]
            if rows:
                found[model.__tablename__] = [_row(r) for r in rows]
        by_user = (
            m.QuietMember,
            m.DisplayName,
            m.MailMessage,
            m.MailToken,
            m.WebLink,
            m.WebSession,
        )
        for model, column in ((model, "user_id") for model in by_user):
            rows = await self.session.scalars(select(model).where(getattr(model, column) == user))
            if found_rows := [_row(r) for r in rows]:
                found[model.__tablename__] = found_rows
        messages = [_row(r) for r in await self._messages_for(person)]
        if messages:
            found["outbox"] = messages
        state = await self.session.get(m.BotState, person.private_state)
        if state is not None:
            found["bot_state"] = [_row(state)]
        return found

    @staticmethod
    def _owns(person: Person, owners_json: str) -> bool:
        return any(_is(person, owner) for owner in json.loads(owners_json))

    async def _messages_for(self, person: Person) -> list[m.OutboxMessage]:
        o = m.OutboxMessage
        mentioned = o.mentions.contains(json.dumps(person.user_id), autoescape=True)
        named = [c.contains(t, autoescape=True) for t in person.texts for c in (o.body, o.html)]
        candidates = or_(o.room_id == person.private_room, mentioned, *named, _file_names(person))
        rows = await self.session.scalars(select(o).where(candidates).order_by(o.id))
        return [
            r
            for r in rows
            if r.room_id == person.private_room
            or person.user_id in json.loads(r.mentions or "[]")
            or person.named_in(r.body)
            or person.named_in(r.html)
            or person.named_in(r.file_data)
        ]

    async def erase_person(self, person: Person) -> Counter[str]:
        """Erase one person (see the module docstring); counts of what was done."""
        done: Counter[str] = Counter()
        user, session = person.user_id, self.session

        async def run(label: str, statement: Any) -> None:
            done[label] += (await session.execute(statement)).rowcount or 0

        # the text goes; the row, its alliance and (below) a stand-in for the
        # sender stay, so the report's updates per alliance do not change
        await run(
            "updates deleted",
            update(m.Update).where(m.Update.sender == user, m.Update.text != "").values(text=""),
        )
        note = m.MeetingNote
        await run(
            "notes deleted", delete(note).where(note.author == user, note.kind.in_(OWN_WORDS))
        )
        await run("agenda items deleted", delete(m.AgendaItem).where(m.AgendaItem.proposer == user))
        await run("quiet deleted", delete(m.QuietMember).where(m.QuietMember.user_id == user))
        await run("mails deleted", delete(m.MailMessage).where(m.MailMessage.user_id == user))
        await run("mail links deleted", delete(m.MailToken).where(m.MailToken.user_id == user))
        await run("web sign-ins deleted", delete(m.WebLink).where(m.WebLink.user_id == user))
        await run("web sessions ended", delete(m.WebSession).where(m.WebSession.user_id == user))
        await run(
            "display name deleted", delete(m.DisplayName).where(m.DisplayName.user_id == user)
        )
        await run(
            "private channel forgotten",
            delete(m.BotState).where(m.BotState.key == person.private_state),
        )
        # what the person typed in a private chat with the bot (its hash)
        processed = m.ProcessedEvent
        await run(
            "private markers deleted",
            delete(processed).where(processed.room_id == person.private_state),
        )
        done += await self.replace_person(user, person.token, None)
        done["action owners replaced"] += await self._replace_owners(person)
        done += await self._empty_messages(person)
        return +done

    async def replace_person(
        self, user: str, token: str, before: datetime | None, group_id: str | None = None
    ) -> Counter[str]:
        """`user` becomes `token` in every column that holds a person (rows
        made before `before` of `group_id` only, when given)."""
        done: Counter[str] = Counter()
        for model, columns in PEOPLE.items():
            for column in columns:
                query = update(model).where(getattr(model, column) == user)
                if before is not None:
                    query = query.where(
                        model.group_id == group_id, created_column(model) < to_db(before)
                    )
                result = await self.session.execute(query.values({column: token}))
                done["ids replaced"] += result.rowcount or 0
        return done

    async def _replace_owners(self, person: Person) -> int:
        a = m.ActionItem
        rows = (await self.session.execute(select(a.id, a.owners).where(_may_own(person)))).all()
        changed = 0
        for action_id, owners in rows:
            listed = json.loads(owners)
            kept = [person.token if _is(person, o) else o for o in listed]
            if kept != listed:
                changed += 1
                await self.session.execute(
                    update(m.ActionItem)
                    .where(m.ActionItem.id == action_id)
                    .values(owners=json.dumps(kept))
                )
        return changed

    async def _empty_messages(self, person: Person) -> Counter[str]:
        """The bot's own messages: those to the person alone are deleted; sent
        ones naming them are emptied (their event ids stay, so later edits of
        minutes still work); one still queued is left to be sent, as it is
        someone else's answer; stored minutes naming them are cleared."""
        done: Counter[str] = Counter()
        o = m.OutboxMessage
        for row in await self._messages_for(person):
            if row.room_id == person.private_room:
                await self.session.execute(delete(o).where(o.id == row.id))
                done["private messages deleted"] += 1
            elif row.sent_at is not None:
                await self.session.execute(
                    update(o)
                    .where(o.id == row.id)
                    .values(body="", html="", mentions="[]", file_data=None)
                )
                done["sent messages emptied"] += 1
        post = m.MinutesPost
        named = or_(*(post.markdown.contains(t, autoescape=True) for t in person.texts))
        for row in await self.session.scalars(select(post).where(named)):
            if person.named_in(row.markdown):
                row.markdown = ""
                done["stored minutes cleared"] += 1
        await self.session.flush()
        return done


def _is(person: Person, owner: str) -> bool:
    """An action item's owner is this person: their id, or a plain name of theirs."""
    return owner == person.user_id or owner.casefold() in {n.casefold() for n in person.owner_names}


def _may_own(person: Person) -> Any:
    """Action items whose owners' JSON may hold the person (then `_is` decides).

    The JSON is written by `json.dumps`, so an owner is there as typed only
    when it is plain ASCII; any other (a letter outside ASCII, a quote) is
    stored escaped, with a backslash: such rows are always candidates. A
    plain owner equal to a name up to case (`_is` casefolds) holds the
    casefolded name in `lower(owners)`; a name whose casefold is not ASCII
    can only equal escaped owners, already candidates."""
    a = m.ActionItem
    needles = {n.casefold() for n in (person.user_id, *person.owner_names)}
    plain = [a.owners.icontains(n, autoescape=True) for n in sorted(needles) if n.isascii()]
    return or_(a.owners.contains("\\", autoescape=True), *plain)


def _file_names(person: Person) -> Any:
    """Files whose bytes may name the person. `named_in` decodes a file with
    invalid bytes replaced: a name found there is in the raw bytes as its
    UTF-8, unless the name itself holds the replacement character (then
    every file is a candidate)."""
    data = m.OutboxMessage.file_data
    if any("\ufffd" in text for text in person.texts):
        return data.is_not(None)
    return or_(*(blob_holds(data, text.encode()) for text in person.texts))


def created_column(model: type) -> Any:
    """When a row of `model` came about, for the retention."""
    for name in ("created_at", "started_at", "changed_at"):
        if hasattr(model, name):
            return getattr(model, name)
    raise AssertionError(f"{model.__name__} has no creation time")
