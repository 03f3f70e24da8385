"""How often one person may ask for something costly that anyone may ask
for (`!mydata`, `!forget me confirm`): a few times an hour, counted in the
database so a restart does not reset it. The key names the person by a hash
only, like the other per-person markers."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.repo import Repo


@dataclass(frozen=True)
class Limit:
    what: str  # the key's kind, e.g. "mydata"
    times: int = 3
    per: timedelta = timedelta(hours=1)


def _key(limit: Limit, person: str) -> str:
    return f"limit:{limit.what}:{hashlib.sha256(person.encode()).hexdigest()[:40]}"


async def take(repo: Repo, limit: Limit, person: str, now: datetime) -> datetime | None:
    """Count one request now; None when it is allowed, else when the person
    may ask again (nothing is counted then)."""
    key = _key(limit, person)
    stored = json.loads(await repo.get_state(key) or "[]")
    recent = sorted(t for t in map(datetime.fromisoformat, stored) if now - t < limit.per)
    if len(recent) >= limit.times:
        return recent[-limit.times] + limit.per
    await repo.set_state(key, json.dumps([t.isoformat() for t in [*recent, now]]))
    return None
