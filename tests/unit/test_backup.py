"""Backup archives in-process: what goes in (the database by SQLite's online
backup, data_dir's files, no WAL leftovers), mode 0600, and restore's
refusals (existing data without --force, not an archive, no manifest)."""

from __future__ import annotations

import io
import sqlite3
import tarfile

import pytest

from storage.backup import BackupError, backup, restore


def make_site(root):
    data = root / "data"
    (data / "crypto").mkdir(parents=True)
    (data / "matrix-session.json").write_text('{"device_id": "ABC"}')
    with sqlite3.connect(data / "crypto" / "store.db") as db:
        db.execute("CREATE TABLE keys (k TEXT)")
        db.execute("INSERT INTO keys VALUES ('secret')")
    (data / "crypto" / "store.db-wal").write_text("stale")
    with sqlite3.connect(root / "bot.db") as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE updates (text TEXT)")
        db.execute("INSERT INTO updates VALUES ('kept')")
    return f"sqlite+aiosqlite:///{root / 'bot.db'}", data


def test_backup_and_restore_round_trip(tmp_path):
    url, data = make_site(tmp_path / "a")
    archive = tmp_path / "b.tar.gz"
    manifest = backup(url, data, archive)
    assert oct(archive.stat().st_mode & 0o777) == "0o600"
    assert sorted(manifest["files"]) == ["data/crypto/store.db", "data/matrix-session.json"]
    new_url, new_data = f"sqlite+aiosqlite:///{tmp_path / 'c' / 'bot.db'}", tmp_path / "c" / "data"
    restore(new_url, new_data, archive)
    with sqlite3.connect(tmp_path / "c" / "bot.db") as db:
        assert db.execute("SELECT text FROM updates").fetchall() == [("kept",)]
    with sqlite3.connect(new_data / "crypto" / "store.db") as db:
        assert db.execute("SELECT k FROM keys").fetchall() == [("secret",)]
    assert (new_data / "matrix-session.json").read_text() == '{"device_id": "ABC"}'
    assert not (new_data / "crypto" / "store.db-wal").exists()
    with pytest.raises(BackupError, match="add --force"):
        restore(new_url, new_data, archive)
    restore(new_url, new_data, archive, force=True)


def test_restore_refuses_what_is_not_a_backup(tmp_path):
    url, data = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", tmp_path / "data"
    junk = tmp_path / "junk.tar.gz"
    junk.write_text("not an archive")
    with pytest.raises(BackupError, match="not a backup archive"):
        restore(url, data, junk)
    other = tmp_path / "other.tar.gz"
    with tarfile.open(other, "w:gz") as archive:
        info = tarfile.TarInfo("hello.txt")
        archive.addfile(info, io.BytesIO(b""))
    with pytest.raises(BackupError, match="not a backup of this bot"):
        restore(url, data, other)


def test_backup_of_a_missing_database_says_so(tmp_path):
    with pytest.raises(BackupError, match="no database at"):
        backup(f"sqlite+aiosqlite:///{tmp_path / 'none.db'}", tmp_path, tmp_path / "o.tar.gz")


def test_an_existing_archive_is_replaced_whole_and_private(tmp_path):
    url, data = make_site(tmp_path / "a")
    out = tmp_path / "b.tar.gz"
    out.write_text("the previous backup")
    out.chmod(0o644)
    backup(url, data, out)
    assert oct(out.stat().st_mode & 0o777) == "0o600" and tarfile.is_tarfile(out)
    good = out.read_bytes()
    with pytest.raises(BackupError):
        backup(f"sqlite+aiosqlite:///{tmp_path / 'gone.db'}", data, out)
    assert out.read_bytes() == good  # a failed backup leaves the previous one as it was
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".b.tar.gz")] == []


def test_a_bad_entry_stops_the_restore_before_anything_is_written(tmp_path):
    bad = tmp_path / "bad.tar.gz"
    with tarfile.open(bad, "w:gz") as archive:
        for name, data in (
            ("allies-bot-backup.json", b'{"database": null, "files": []}'),
            ("data/ok.json", b"{}"),
            ("data/../../escape.txt", b"x"),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    data_dir = tmp_path / "restored"
    with pytest.raises(BackupError, match="unexpected entry"):
        restore(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", data_dir, bad)
    assert not (data_dir / "ok.json").exists() and not (tmp_path / "escape.txt").exists()
