"""Personal data in the database: what is stored about one person (export),
removing it (erasure), and ageing out what is older than the retention.

The one place that knows which columns hold a person: `PEOPLE` (ids) and the
free texts members write. Erasure keeps the group's record readable: what
the person wrote alone (updates, notes, apologies, proposed agenda items) is
deleted; where they took part in the group's work (an action item they
owned, a session they chaired, an output step) the id becomes
`FORMER_MEMBER`; a `!here` becomes an anonymous token of its own, so
attendance still counts people; the bot's own messages that quote them are
emptied. Nothing here commits: the caller's transaction does, all or nothing.
"""

from __future__ import annotations

import json
import secrets
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import models as m
from storage.times import to_db

FORMER_MEMBER = "a former member"
ANONYMOUS_PREFIX = "anonymous-"
MIN_NAME_CHARS = 3  # shorter names would match inside unrelated words
# Columns that hold one person's id, per table (owners are a JSON list, below).
PEOPLE: dict[type, tuple[str, ...]] = {
    m.Update: ("sender",),
    m.AgendaItem: ("proposer",),
    m.QuietMember: ("user_id",),
    m.DisplayName: ("user_id",),
    m.MeetingNote: ("author",),
    m.MeetingSession: ("started_by", "ended_by"),
    m.MeetingOverride: ("created_by",),
    m.ActionItem: ("created_by", "closed_by"),
    m.Output: ("owner", "created_by"),
    m.OutputChange: ("changed_by",),
}
OWN_WORDS = ("info", "topic", "apology")  # notes that are the person's own words


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value


def _row(obj: Any) -> dict[str, Any]:
    return {c.key: _plain(getattr(obj, c.key)) for c in obj.__table__.columns}


def _quotes(column: Any, needles: Iterable[str]) -> Any:
    return or_(*(column.contains(needle) for needle in needles))


def needles_for(user_id: str, names: Iterable[str]) -> list[str]:
    """What marks a text as quoting the person: their id and their names."""
    return [user_id, *(n for n in names if n and len(n) >= MIN_NAME_CHARS)]


class PrivacyRepo:
    session: AsyncSession

    async def person_rows(self, user_id: str, names: Iterable[str]) -> dict[str, list[dict]]:
        """Every stored row that holds the person's id, owns an action item of
        theirs, or is a message of the bot quoting them, by table."""
        found: dict[str, list[dict]] = {}
        for model, columns in PEOPLE.items():
            query = select(model).where(or_(*(getattr(model, c) == user_id for c in columns)))
            if model is m.ActionItem:
                query = select(model).where(
                    or_(*(getattr(model, c) == user_id for c in columns), _owner(user_id))
                )
            rows = [_row(r) for r in await self.session.scalars(query)]
            if rows:
                found[model.__tablename__] = rows
        needles = needles_for(user_id, names)
        quoted = [
            _row(r)
            for r in await self.session.scalars(
                select(m.OutboxMessage).where(
                    or_(
                        _quotes(m.OutboxMessage.body, needles),
                        _quotes(m.OutboxMessage.mentions, [user_id]),
                        m.OutboxMessage.room_id.contains(user_id),
                        m.OutboxMessage.id.in_(await self._files_quoting(needles)),
                    )
                )
            )
        ]
        if quoted:
            found["outbox"] = quoted
        state = [
            _row(r)
            for r in await self.session.scalars(
                select(m.BotState).where(m.BotState.key.contains(user_id))
            )
        ]
        if state:
            found["bot_state"] = state
        return found

    async def erase_person(self, user_id: str, names: Iterable[str]) -> Counter[str]:
        """Erase one person (see the module docstring); counts of what was done."""
        done: Counter[str] = Counter()
        session = self.session

        async def run(label: str, statement: Any) -> None:
            done[label] += (await session.execute(statement)).rowcount or 0

        await run("updates deleted", delete(m.Update).where(m.Update.sender == user_id))
        await run(
            "notes deleted",
            delete(m.MeetingNote).where(
                m.MeetingNote.author == user_id, m.MeetingNote.kind.in_(OWN_WORDS)
            ),
        )
        for note_id in await session.scalars(
            select(m.MeetingNote.id).where(
                m.MeetingNote.author == user_id, m.MeetingNote.kind == "here"
            )
        ):
            token = ANONYMOUS_PREFIX + secrets.token_hex(6)
            await run(
                "attendance kept anonymously",
                update(m.MeetingNote).where(m.MeetingNote.id == note_id).values(author=token),
            )
        await run(
            "agenda items deleted", delete(m.AgendaItem).where(m.AgendaItem.proposer == user_id)
        )
        await run("quiet deleted", delete(m.QuietMember).where(m.QuietMember.user_id == user_id))
        await run(
            "display name deleted", delete(m.DisplayName).where(m.DisplayName.user_id == user_id)
        )
        await run(  # e.g. which direct room the bot has with them
            "bot state deleted", delete(m.BotState).where(m.BotState.key.contains(user_id))
        )
        for model, columns in PEOPLE.items():
            for column in columns:
                await run(
                    "ids replaced",
                    update(model)
                    .where(getattr(model, column) == user_id)
                    .values({column: FORMER_MEMBER}),
                )
        done["action owners replaced"] += await self._replace_owner(user_id)
        done += await self._empty_quotes(needles_for(user_id, names))
        return +done

    async def _files_quoting(self, needles: list[str]) -> list[int]:
        """Files the bot posted (minutes, reports) that name the person."""
        o = m.OutboxMessage
        wanted = [needle.encode() for needle in needles]
        rows = await self.session.execute(select(o.id, o.file_data).where(o.file_data.is_not(None)))
        return [row_id for row_id, data in rows if any(w in data for w in wanted)]

    async def _replace_owner(self, user_id: str) -> int:
        rows = (
            await self.session.execute(
                select(m.ActionItem.id, m.ActionItem.owners).where(_owner(user_id))
            )
        ).all()
        for action_id, owners in rows:
            kept = [FORMER_MEMBER if o == user_id else o for o in json.loads(owners)]
            await self.session.execute(
                update(m.ActionItem)
                .where(m.ActionItem.id == action_id)
                .values(owners=json.dumps(kept))
            )
        return len(rows)

    async def _empty_quotes(self, needles: list[str]) -> Counter[str]:
        """The bot's own messages quoting the person: unsent ones are dropped,
        sent ones emptied (their event ids stay, so later edits still work);
        stored minutes text is emptied (the next `!minutes` compiles anew)."""
        done: Counter[str] = Counter()
        o = m.OutboxMessage
        quoting = or_(
            _quotes(o.body, needles), _quotes(o.html, needles), _quotes(o.mentions, needles[:1])
        )
        private = o.room_id.contains(needles[0])  # sent to them alone (`!mydata`)
        quoting = or_(quoting, o.id.in_(await self._files_quoting(needles)))
        result = await self.session.execute(
            delete(o).where(or_(private, quoting & o.sent_at.is_(None)))
        )
        done["messages dropped"] += result.rowcount or 0
        result = await self.session.execute(
            update(o).where(quoting).values(body="", html="", mentions="[]", file_data=None)
        )
        done["sent messages emptied"] += result.rowcount or 0
        post = m.MinutesPost
        result = await self.session.execute(
            update(post).where(_quotes(post.markdown, needles)).values(markdown="")
        )
        done["stored minutes emptied"] += result.rowcount or 0
        return done

    async def purge_before(
        self, group_id: str, rooms: Iterable[str], before: datetime
    ) -> Counter[str]:
        """Age out one group's record older than `before`: members' own texts
        emptied and every person replaced (`!here` by one anonymous token per
        person, so attendance still counts people), agenda proposals deleted,
        the bot's sent messages and the processed-event markers deleted. What
        the report counts stays: meetings, alliances' updates, decisions,
        action items, outputs."""
        done: Counter[str] = Counter()
        old, session, rooms = to_db(before), self.session, list(rooms)

        async def run(label: str, statement: Any) -> None:
            done[label] += (await session.execute(statement)).rowcount or 0

        u, n = m.Update, m.MeetingNote
        await run(
            "updates aged out",
            update(u)
            .where(u.group_id == group_id, u.created_at < old, u.sender != FORMER_MEMBER)
            .values(text="", sender=FORMER_MEMBER),
        )
        own = (n.group_id == group_id, n.created_at < old, n.kind.in_(OWN_WORDS))
        await run(
            "notes aged out",
            update(n).where(*own, n.author != FORMER_MEMBER).values(text="", author=FORMER_MEMBER),
        )
        here = (n.group_id == group_id, n.created_at < old, n.kind == "here")
        authors = await session.scalars(
            select(n.author).where(*here, n.author.not_like(ANONYMOUS_PREFIX + "%")).distinct()
        )
        for author in list(authors):
            token = ANONYMOUS_PREFIX + secrets.token_hex(6)
            await run(
                "attendance anonymised",
                update(n).where(*here, n.author == author).values(author=token),
            )
        for model, columns in PEOPLE.items():
            if model in (m.Update, m.MeetingNote, m.QuietMember, m.DisplayName, m.AgendaItem):
                continue
            when = _created(model)
            for column in columns:
                field = getattr(model, column)
                await run(
                    "ids aged out",
                    update(model)
                    .where(model.group_id == group_id, when < old, field.is_not(None))
                    .where(field != FORMER_MEMBER)
                    .values({column: FORMER_MEMBER}),
                )
        await run(
            "decisions' authors aged out",
            update(n)
            .where(n.group_id == group_id, n.created_at < old, n.kind == "decision")
            .where(n.author != FORMER_MEMBER)
            .values(author=FORMER_MEMBER),
        )
        done["action owners aged out"] += await self._age_owners(group_id, old)
        a = m.AgendaItem
        await run(
            "agenda items deleted",
            delete(a).where(a.group_id == group_id, a.created_at < old),
        )
        o = m.OutboxMessage
        await run(
            "sent messages deleted",
            delete(o).where(o.room_id.in_(rooms), o.sent_at.is_not(None), o.sent_at < old),
        )
        p = m.ProcessedEvent
        await run(
            "processed markers deleted",
            delete(p).where(p.room_id.in_(rooms), p.processed_at < old),
        )
        post = m.MinutesPost
        await run(
            "stored minutes emptied",
            update(post)
            .where(post.group_id == group_id, post.updated_at < old, post.markdown != "")
            .values(markdown=""),
        )
        return +done

    async def _age_owners(self, group_id: str, old: datetime) -> int:
        """Owners of action items closed before `old` (open ones are still work)."""
        a = m.ActionItem
        rows = (
            await self.session.execute(
                select(a.id, a.owners).where(a.group_id == group_id, a.closed_at < old)
            )
        ).all()
        changed = 0
        for action_id, owners in rows:
            kept = [FORMER_MEMBER for _ in json.loads(owners)]
            if kept != json.loads(owners):
                changed += 1
                await self.session.execute(
                    update(a).where(a.id == action_id).values(owners=json.dumps(kept))
                )
        return changed


def _created(model: type) -> Any:
    """When a row of `model` came about, for the retention."""
    for name in ("created_at", "started_at", "changed_at"):
        if hasattr(model, name):
            return getattr(model, name)
    raise AssertionError(f"{model.__name__} has no creation time")


def _owner(user_id: str) -> Any:
    return m.ActionItem.owners.contains(json.dumps(user_id))
