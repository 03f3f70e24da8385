"""Repository functions for the web archive: sign-in links, browser sessions,
and the decisions register with its full-text search (SQLite FTS5 or
PostgreSQL text search, never a LIKE scan of every note)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, column, delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import MeetingNote, WebLink, WebSession
from storage.times import from_db, to_db

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_SEARCH_WORDS = 8


@dataclass(frozen=True)
class StoredDecision:
    id: int
    meeting_key: str
    text: str
    created_at: datetime


def _fts5_query(words: list[str]) -> str:
    """Each word quoted (no FTS5 syntax from the reader), as a prefix, all required."""
    return " ".join(f'"{word}"*' for word in words)


class WebRepo:
    session: AsyncSession

    async def add_web_link(
        self, token_hash: str, user_id: str, now: datetime, expires_at: datetime
    ) -> None:
        self.session.add(
            WebLink(
                token_hash=token_hash,
                user_id=user_id,
                created_at=to_db(now),
                expires_at=to_db(expires_at),
            )
        )
        await self.session.flush()

    async def web_links_since(self, user_id: str, since: datetime) -> int:
        return await self.session.scalar(
            select(func.count())
            .select_from(WebLink)
            .where(WebLink.user_id == user_id, WebLink.created_at >= to_db(since))
        )

    async def use_web_link(self, token_hash: str, now: datetime) -> tuple[str, str | None]:
        """("ok", user) once; then ("used", None); ("expired" | "unknown", None)."""
        row = await self.session.get(WebLink, token_hash)
        if row is None:
            return "unknown", None
        if row.used_at is not None:
            return "used", None
        if from_db(row.expires_at) <= now:  # type: ignore[operator]
            return "expired", None
        claimed = await self.session.execute(
            update(WebLink)
            .where(WebLink.token_hash == token_hash, WebLink.used_at.is_(None))
            .values(used_at=to_db(now))
        )
        return ("ok", row.user_id) if claimed.rowcount == 1 else ("used", None)

    async def add_web_session(
        self, token_hash: str, user_id: str, csrf: str, now: datetime, expires_at: datetime
    ) -> None:
        self.session.add(
            WebSession(
                token_hash=token_hash,
                user_id=user_id,
                csrf=csrf,
                created_at=to_db(now),
                expires_at=to_db(expires_at),
            )
        )
        await self.session.flush()

    async def web_session(self, token_hash: str, now: datetime) -> tuple[str, str] | None:
        """(user, form token) of a live session."""
        row = await self.session.get(WebSession, token_hash)
        if row is None or from_db(row.expires_at) <= now:  # type: ignore[operator]
            return None
        return row.user_id, row.csrf

    async def end_web_sessions(self, user_id: str) -> int:
        done = await self.session.execute(delete(WebSession).where(WebSession.user_id == user_id))
        return done.rowcount or 0

    async def decisions(
        self, group_id: str, *, words: str = "", year: int | None = None, limit: int = 200
    ) -> list[StoredDecision]:
        """The group's decisions, newest first; `words` all present (prefixes)."""
        n = MeetingNote
        query = select(n.id, n.meeting_key, n.text, n.created_at).where(
            n.group_id == group_id, n.kind == "decision", n.removed_at.is_(None), n.text != ""
        )
        if year is not None:
            query = query.where(n.meeting_key.startswith(f"{year:04d}-"))
        found = _WORD.findall(words)[:MAX_SEARCH_WORDS]
        if found:
            query = query.where(self._matches(found))
        rows = await self.session.execute(
            query.order_by(n.meeting_key.desc(), n.id.desc()).limit(limit)
        )
        return [StoredDecision(r.id, r.meeting_key, r.text, from_db(r.created_at)) for r in rows]  # type: ignore[arg-type]

    def _matches(self, words: list[str]):
        n = MeetingNote
        if self.session.bind.dialect.name == "sqlite":
            ids = text("SELECT rowid FROM notes_fts WHERE notes_fts MATCH :q").bindparams(
                q=_fts5_query(words)
            )
            return n.id.in_(ids.columns(column("rowid", Integer)))
        vector = func.to_tsvector("simple", n.text)
        query = func.to_tsquery("simple", " & ".join(f"{w}:*" for w in words))
        return vector.op("@@")(query)

    async def minutes_markdown(self, group_id: str, meeting_key: str) -> str | None:
        """The stored minutes of one meeting (empty once aged out: None)."""
        from storage.models import MinutesPost

        row = await self.session.get(MinutesPost, (group_id, meeting_key))
        return row.markdown if row is not None and row.markdown else None

    async def note_kinds(self, group_id: str) -> dict[str, set[str]]:
        """Meeting key -> the kinds of note it has (not the notes: the archive's
        meeting list only asks whether something was recorded)."""
        n = MeetingNote
        rows = await self.session.execute(
            select(n.meeting_key, n.kind)
            .where(n.group_id == group_id, n.removed_at.is_(None))
            .distinct()
        )
        found: dict[str, set[str]] = {}
        for key, kind in rows:
            found.setdefault(key, set()).add(kind)
        return found

    async def closed_actions(self, group_id: str, limit: int) -> tuple[list, int]:
        """The latest done actions (newest first) and how many are done in all."""
        from storage.models import ActionItem
        from storage.repo_meetings import action_of

        done = (ActionItem.group_id == group_id, ActionItem.status == "done")
        total = await self.session.scalar(select(func.count()).select_from(ActionItem).where(*done))
        rows = await self.session.scalars(
            select(ActionItem).where(*done).order_by(ActionItem.closed_at.desc()).limit(limit)
        )
        return [action_of(row) for row in rows], total or 0

    async def purge_expired_sign_ins(self, now: datetime) -> Counter[str]:
        """Sign-in links and sessions past their time (the daily retention job)."""
        done: Counter[str] = Counter()
        for label, model in (("expired sign-in links", WebLink), ("expired sessions", WebSession)):
            result = await self.session.execute(delete(model).where(model.expires_at < to_db(now)))
            if result.rowcount:
                done[label] += result.rowcount
        return done
