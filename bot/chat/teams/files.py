"""Files for Teams members: served by the bot under unguessable, expiring links.

A bot cannot upload a file into a channel, so the minutes `.md` and the
`.ics` calendar are kept here and the message carries a link instead. The
link's token (32 random bytes) is the only key: no token, no file, and the
file is gone after `FILE_TTL` (the minutes stay in the group's record; the
link is only a way to download them).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

FILE_TTL_SECONDS = 30 * 24 * 3600
# A file for one person alone (a `!mydata` export): they fetch it once, and
# it must not outlive an erasure they may ask for next by a month.
PRIVATE_FILE_TTL_SECONDS = 24 * 3600
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")


@dataclass(frozen=True)
class StoredFile:
    name: str
    mimetype: str
    path: Path


class FileShelf:
    def __init__(self, folder: Path, clock=time.time, ttl: float = FILE_TTL_SECONDS) -> None:
        self.folder = folder
        self.clock = clock
        self.ttl = ttl

    def put(self, name: str, mimetype: str, data: bytes, ttl: float | None = None) -> str:
        """Keep a file; return its token. Written to a temporary name and
        renamed, so a link never serves half a file."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.sweep()
        token = secrets.token_urlsafe(32)
        expires = self.clock() + (self.ttl if ttl is None else ttl)
        meta = {"name": name, "mimetype": mimetype, "expires": expires}
        for suffix, content in ((".data", data), (".json", json.dumps(meta).encode())):
            temporary = self.folder / f".{token}{suffix}.tmp"
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
            os.replace(temporary, self.folder / f"{token}{suffix}")
        return token

    def get(self, token: str) -> StoredFile | None:
        if not TOKEN_RE.match(token):
            return None
        try:
            meta = json.loads((self.folder / f"{token}.json").read_text())
        except (OSError, ValueError):
            return None
        if meta.get("expires", 0) < self.clock():
            return None
        data = self.folder / f"{token}.data"
        return StoredFile(meta["name"], meta["mimetype"], data) if data.exists() else None

    def sweep(self) -> int:
        """Delete expired files; return how many."""
        removed = 0
        for meta_path in self.folder.glob("*.json"):
            try:
                expires = json.loads(meta_path.read_text()).get("expires", 0)
            except (OSError, ValueError):
                expires = 0
            if expires < self.clock():
                meta_path.with_suffix(".data").unlink(missing_ok=True)
                meta_path.unlink(missing_ok=True)
                removed += 1
        return removed
