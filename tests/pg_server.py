"""A throwaway PostgreSQL server for the storage contract tests.

Started from the Debian `postgresql` binaries on 127.0.0.1 and a random port,
in a temporary data directory, trusted local auth; stopped at the end of the
session. Run as the `postgres` user when the tests run as root, because the
server refuses to run as root.

`create_template` migrates one database once per session; `create_database`
then copies it (`CREATE DATABASE … TEMPLATE …`) instead of migrating again.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL server binaries are not installed."""


def _bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not found:
        raise PostgresUnavailable(
            "no /usr/lib/postgresql/*/bin/pg_ctl (apt-get install postgresql)"
        )
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    def __init__(self, workdir: Path) -> None:
        self.bin = _bin_dir()
        self.workdir = workdir
        self.datadir = workdir / "pgdata"
        self.port = _free_port()
        self.template: str | None = None  # what create_database copies

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.workdir, "postgres", "postgres")
        self._run(
            "initdb",
            "-D",
            str(self.datadir),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.workdir} -c fsync=off"
        self._run(
            "pg_ctl",
            "-D",
            str(self.datadir),
            "-o",
            options,
            "-l",
            str(self.workdir / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"PostgreSQL did not start; see {self.workdir / 'server.log'}")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str, *, empty: bool = False) -> str:
        """A new database: a copy of the template (already migrated) when
        there is one, unless `empty`; its URL."""
        template = [] if empty or self.template is None else ["-T", self.template]
        self._run(
            "createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", *template, name
        )
        return self.url(name)

    def create_template(self, name: str, migrate: Callable[[str], None]) -> None:
        """Create `name`, let `migrate(url)` bring it to the newest schema
        (closing its connections: a template being copied must have none),
        and copy it for every later `create_database`."""
        migrate(self.create_database(name, empty=True))
        self.template = name

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.datadir), "-m", "fast", "-w", "stop")
