"""Ageing out what is older than a group's retention (the daily job): what
members wrote is emptied and people become anonymous tokens, so the record
still counts meetings and attendance but no longer says who said what.
Which columns hold a person is `repo_privacy.PEOPLE`. Nothing here commits.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import models as m
from storage.repo_privacy import OWN_WORDS, PEOPLE, created_column
from storage.times import to_db


class RetentionRepo:
    """A mixin of `Repo`, beside `PrivacyRepo` (whose `replace_person` it uses)."""

    session: AsyncSession

    async def people_before(self, group_id: str, before: datetime, keep: str) -> set[str]:
        """Everyone named in the group's rows made before `before` (ids that
        already start with `keep`, anonymous tokens, are left out)."""
        found: set[str] = set()
        for model, columns in PEOPLE.items():
            for column in columns:
                field = getattr(model, column)
                found.update(
                    await self.session.scalars(
                        select(field)
                        .where(model.group_id == group_id, created_column(model) < to_db(before))
                        .distinct()
                    )
                )
        return {p for p in found if p and not p.startswith(keep)}

    async def age_out(
        self,
        group_id: str,
        rooms: Iterable[str],
        private_prefix: str,
        before: datetime,
        tokens: Mapping[str, str],
    ) -> Counter[str]:
        """One group's retention: members' own texts emptied, every person
        replaced by their token, agenda proposals, old owners, the bot's sent
        messages (its private ones too) and processed-event markers gone.
        What the report counts stays."""
        done: Counter[str] = Counter()
        old, session = to_db(before), self.session

        async def run(label: str, statement: Any) -> None:
            done[label] += (await session.execute(statement)).rowcount or 0

        u, n = m.Update, m.MeetingNote
        await run(
            "updates' texts emptied",
            update(u)
            .where(u.group_id == group_id, u.created_at < old, u.text != "")
            .values(text=""),
        )
        own = (n.group_id == group_id, n.created_at < old, n.kind.in_(OWN_WORDS), n.text != "")
        await run("notes' texts emptied", update(n).where(*own).values(text=""))
        for user, token in tokens.items():
            done += await self.replace_person(user, token, before, group_id)
        done["action owners aged out"] += await self._age_owners(group_id, old, tokens)
        a = m.AgendaItem
        await run(
            "agenda items deleted", delete(a).where(a.group_id == group_id, a.created_at < old)
        )
        o = m.OutboxMessage
        sent_old = (o.sent_at.is_not(None), o.sent_at < old)
        await run("sent messages deleted", delete(o).where(o.room_id.in_(list(rooms)), *sent_old))
        private = o.room_id.startswith(private_prefix, autoescape=True)
        await run("private messages deleted", delete(o).where(private, *sent_old))
        p = m.ProcessedEvent
        await run(
            "processed markers deleted",
            delete(p).where(p.room_id.in_(list(rooms)), p.processed_at < old),
        )
        private_marker = p.room_id.startswith(private_prefix, autoescape=True)
        await run("private markers deleted", delete(p).where(private_marker, p.processed_at < old))
        mail = m.MailMessage
        # answers to strangers belong to no group: every group's purge takes them
        settled = or_(mail.sent_at < old, (mail.failed.is_not(None)) & (mail.created_at < old))
        await run(
            "sent mails deleted",
            delete(mail).where(mail.group_id.in_((group_id, "")), settled),
        )
        token = m.MailToken
        await run(
            "expired mail links deleted",
            delete(token).where(token.group_id == group_id, token.expires_at < old),
        )
        post = m.MinutesPost
        await run(
            "stored minutes cleared",
            update(post)
            .where(post.group_id == group_id, post.updated_at < old, post.markdown != "")
            .values(markdown=""),
        )
        return +done

    async def _age_owners(self, group_id: str, old: datetime, tokens: Mapping[str, str]) -> int:
        """Owners of action items closed before `old` (open ones are still work)."""
        a = m.ActionItem
        rows = (
            await self.session.execute(
                select(a.id, a.owners).where(a.group_id == group_id, a.closed_at < old)
            )
        ).all()
        changed = 0
        for action_id, owners in rows:
            listed = json.loads(owners)
            kept = [tokens.get(o, o) for o in listed]
            if kept != listed:
                changed += 1
                await self.session.execute(
                    update(a).where(a.id == action_id).values(owners=json.dumps(kept))
                )
        return changed
