"""Backup and restore of everything the bot needs to come back as itself:
the database and `data_dir` (the login session, the encryption keys, the
bot's cross-signing keys, trust pins), in one `.tar.gz`.

Consistent while the bot runs: every SQLite database (the bot's own and
nio's crypto store in `data_dir/crypto/`) is copied with SQLite's online
backup API, which reads a snapshot under the database's own locking, never
the file as it is being written; other files are small and written whole
(renamed into place). PostgreSQL is backed up with `pg_dump` (docs/operating.md); the
archive then holds `data_dir` only. The archive holds secrets (the access
token, private keys): it is written with mode 0600.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

MANIFEST = "allies-bot-backup.json"
DATABASE = "database.sqlite"
DATA = "data"
SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")
SKIPPED_SUFFIXES = ("-wal", "-shm", "-journal")


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why."""


def sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _snapshot(source: Path) -> bytes:
    """A consistent copy of a live SQLite database (online backup API)."""
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "copy.db"
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        return target.read_bytes()


def _add(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o600, int(datetime.now(UTC).timestamp())
    archive.addfile(info, io.BytesIO(data))


def _is_sqlite(path: Path) -> bool:
    if path.suffix not in SQLITE_SUFFIXES:
        return False
    with path.open("rb") as handle:
        return handle.read(16) == b"SQLite format 3\x00"


def backup(url: str, data_dir: Path, out: Path) -> dict:
    """Write the archive to `out`; returns its manifest (what it holds)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    # Written beside `out` and renamed at the end: a failed backup leaves the
    # previous one whole, and the archive is 0600 even if `out` existed as 0644.
    fd, temporary = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as raw:
            manifest = _write_archive(raw, url, data_dir)
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return manifest


def _write_archive(raw, url: str, data_dir: Path) -> dict:
    database = sqlite_path(url)
    files: list[str] = []
    with tarfile.open(fileobj=raw, mode="w:gz") as archive:
        if database is not None:
            if not database.exists():
                raise BackupError(f"no database at {database}")
            _add(archive, DATABASE, _snapshot(database))
        for path in sorted(data_dir.rglob("*")) if data_dir.exists() else []:
            if not path.is_file() or path.name.endswith(SKIPPED_SUFFIXES):
                continue
            if database is not None and path.resolve() == database.resolve():
                continue
            data = _snapshot(path) if _is_sqlite(path) else path.read_bytes()
            name = f"{DATA}/{path.relative_to(data_dir).as_posix()}"
            _add(archive, name, data)
            files.append(name)
        manifest = {
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "database": DATABASE if database is not None else None,
            "files": files,
        }
        _add(archive, MANIFEST, json.dumps(manifest, indent=2).encode())
    return manifest


def restore(url: str, data_dir: Path, source: Path, *, force: bool = False) -> dict:
    """Put an archive back into the configured places (the bot stopped)."""
    database = sqlite_path(url)
    if not source.is_file() or not tarfile.is_tarfile(source):
        raise BackupError(f"{source}: not a backup archive")
    with tarfile.open(source, mode="r:gz") as archive:
        try:
            manifest = json.loads(archive.extractfile(MANIFEST).read())  # type: ignore[union-attr]
        except (KeyError, AttributeError, json.JSONDecodeError):
            raise BackupError(f"{source}: no {MANIFEST} in it; not a backup of this bot") from None
        existing = (database is not None and database.exists()) or (
            data_dir.exists() and any(data_dir.iterdir())
        )
        if existing and not force:
            raise BackupError(
                "the database or data_dir already holds data; stop the bot and add --force "
                "to replace it"
            )
        if manifest["database"] and database is None:
            raise BackupError("the archive holds an SQLite database but storage.url is not SQLite")
        data_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(data_dir, 0o700)
        targets = [
            (member, _target(member.name, database, data_dir, source))
            for member in archive.getmembers()
            if member.name != MANIFEST and member.isfile()
        ]  # every entry checked before anything is written
        for member, target in targets:
            _write(target, archive.extractfile(member).read())  # type: ignore[union-attr]
    return manifest


def _target(name: str, database: Path | None, data_dir: Path, source: Path) -> Path:
    if name == DATABASE and database is not None:
        return database
    if name.startswith(f"{DATA}/") and ".." not in Path(name).parts:
        return data_dir / Path(name).relative_to(DATA)
    raise BackupError(f"{source}: unexpected entry {name!r}")


def _write(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    for suffix in SKIPPED_SUFFIXES:  # a stale WAL beside a restored database would corrupt it
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
