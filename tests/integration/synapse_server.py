"""Run a real, throwaway Synapse homeserver on 127.0.0.1 for integration tests.

Mocks of the Matrix client API drift from reality (sync quirks, relations,
redactions, rate limits), so integration tests talk to a genuine Synapse.
Synapse lives in its own virtualenv because its pinned dependencies (Twisted,
its Rust extension, ...) must not leak into the bot's environment.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import hmac
import json
import logging
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import aiohttp

from tests.loopback import free_port

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_VENV = REPO_ROOT / ".venv-synapse"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0

# Rate limits are lifted because tests fire many requests in a burst; a 429
# would make them slow and flaky without testing anything of ours.
_UNLIMITED = {"per_second": 100_000, "burst_count": 100_000}
_RATE_LIMITS: dict[str, Any] = {
    "rc_message": _UNLIMITED,
    "rc_registration": _UNLIMITED,
    "rc_registration_token_validity": _UNLIMITED,
    "rc_login": {"address": _UNLIMITED, "account": _UNLIMITED, "failed_attempts": _UNLIMITED},
    "rc_admin_redaction": _UNLIMITED,
    "rc_joins": {"local": _UNLIMITED, "remote": _UNLIMITED},
    "rc_joins_per_room": _UNLIMITED,
    "rc_3pid_validation": _UNLIMITED,
    "rc_invites": {"per_room": _UNLIMITED, "per_user": _UNLIMITED, "per_issuer": _UNLIMITED},
    "rc_third_party_invite": _UNLIMITED,
    "rc_media_create": _UNLIMITED,
    "rc_presence": {"per_user": _UNLIMITED},
    "rc_delayed_event_mgmt": _UNLIMITED,
    "rc_room_creation": _UNLIMITED,
    "rc_reports": _UNLIMITED,
    "rc_user_directory": _UNLIMITED,
    "rc_profile": _UNLIMITED,
    "rc_key_requests": _UNLIMITED,
}


class SynapseUnavailable(RuntimeError):
    """Synapse could not be installed (e.g. no package index); callers may skip."""


class SynapseStartError(RuntimeError):
    """Synapse is installed but did not come up; this is always a real failure."""


@dataclass(frozen=True)
class RegisteredUser:
    """Credentials of an account created through the shared-secret admin API."""

    user_id: str
    password: str
    access_token: str
    device_id: str


def _has_synapse(python: Path) -> bool:
    """Cheap check (no heavy import) that the venv really contains Synapse."""
    probe = "import importlib.util, sys; sys.exit(importlib.util.find_spec('synapse') is None)"
    return subprocess.run([str(python), "-c", probe], check=False).returncode == 0


def die_with_parent() -> None:
    """Make Synapse exit if pytest is killed, so no orphan holds the port/DB."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"<{path} not readable>"


class SynapseServer:
    """One Synapse process with its config, SQLite DB and media in a workdir."""

    server_name = "localhost"

    def __init__(self, config_overrides: dict[str, Any] | None = None) -> None:
        # e.g. {"rc_message": {...}} for a server that rate-limits, in fault tests
        self.config_overrides = config_overrides or {}
        self.workdir: Path | None = None
        self.port: int | None = None
        self.shared_secret = secrets.token_hex(32)
        self.start_seconds: float | None = None
        self._python: str | None = None
        self._proc: asyncio.subprocess.Process | None = None
        self._stdout: TextIO | None = None

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise RuntimeError("Synapse has not been started")
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        assert self.workdir is not None
        return self.workdir / "homeserver.log"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    @staticmethod
    def ensure_synapse_python() -> str:
        """Return Synapse's python, installing Synapse on first use.

        A fresh clone must be able to run the suite with plain ``pytest``, so a
        missing venv is created here rather than documented as a manual step.
        """
        if override := os.environ.get("ALLIES_SYNAPSE_PYTHON"):
            return override
        python = DEFAULT_VENV / "bin" / "python"
        lock_path = Path(tempfile.gettempdir()) / "allies-bot-synapse-venv.lock"
        with lock_path.open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # parallel sessions must not install twice
            if python.exists() and _has_synapse(python):
                return str(python)
            DEFAULT_VENV.mkdir(exist_ok=True)  # so the log lives inside the ignored venv
            install_log = DEFAULT_VENV / "allies-install.log"
            spec = os.environ.get("ALLIES_SYNAPSE_SPEC", "matrix-synapse")
            log.warning("Installing %s into %s (log: %s)", spec, DEFAULT_VENV, install_log)
            started = time.monotonic()
            with install_log.open("w") as out:
                steps = [[sys.executable, "-m", "venv", str(DEFAULT_VENV)]]
                steps.append([str(python), "-m", "pip", "install", "-q", spec])
                for cmd in steps:
                    out.write(f"$ {' '.join(cmd)}\n")
                    out.flush()
                    if subprocess.run(cmd, stdout=out, stderr=out, check=False).returncode:
                        raise SynapseUnavailable(
                            f"{cmd[0]} failed; see {install_log}:\n{_tail(install_log)}"
                        )
            log.warning("Synapse installed in %.1fs", time.monotonic() - started)
            return str(python)

    def _write_config(self, workdir: Path) -> Path:
        """Write homeserver.yaml (as JSON, which is valid YAML: no PyYAML needed)."""
        log_config = {
            "version": 1,
            "formatters": {"plain": {"format": "%(asctime)s %(name)s %(levelname)s %(message)s"}},
            "handlers": {
                "file": {
                    "class": "logging.FileHandler",
                    "formatter": "plain",
                    "filename": str(workdir / "homeserver.log"),
                    "encoding": "utf8",
                }
            },
            "root": {"level": "WARNING", "handlers": ["file"]},
            "disable_existing_loggers": False,
        }
        (workdir / "log.config").write_text(json.dumps(log_config, indent=2))
        config: dict[str, Any] = {
            "server_name": self.server_name,
            "public_baseurl": self.base_url + "/",
            "pid_file": str(workdir / "homeserver.pid"),
            "listeners": [
                {
                    "port": self.port,
                    "bind_addresses": ["127.0.0.1"],
                    "type": "http",
                    "tls": False,
                    "x_forwarded": False,
                    "resources": [{"names": ["client"], "compress": False}],
                }
            ],
            "database": {"name": "sqlite3", "args": {"database": str(workdir / "homeserver.db")}},
            "log_config": str(workdir / "log.config"),
            "media_store_path": str(workdir / "media_store"),
            "signing_key_path": str(workdir / "localhost.signing.key"),
            "trusted_key_servers": [],  # never reach out to matrix.org
            "suppress_key_server_warning": True,
            "report_stats": False,
            "enable_registration": False,
            "registration_shared_secret": self.shared_secret,
            "macaroon_secret_key": secrets.token_hex(32),
            "form_secret": secrets.token_hex(32),
            "bcrypt_rounds": 4,  # default 12 costs ~0.25 s per register/login
            "presence": {"enabled": False},
            "url_preview_enabled": False,
            "enable_metrics": False,
            **_RATE_LIMITS,
            **self.config_overrides,
        }
        path = workdir / "homeserver.yaml"
        path.write_text(json.dumps(config, indent=2))
        return path

    async def start(self, workdir: Path) -> None:
        """Configure (first time only) and launch Synapse, returning once it serves."""
        started = time.monotonic()
        self._python = self._python or await asyncio.to_thread(self.ensure_synapse_python)
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        config_path = workdir / "homeserver.yaml"
        if self.port is None or not config_path.exists():
            self.port = self.port or free_port()
            self._write_config(workdir)
        # No separate `--generate-keys` run: Synapse generates missing files
        # (the signing key) on every normal start too, and a second interpreter
        # importing Synapse would cost ~1.5 s.
        hs = [self._python, "-m", "synapse.app.homeserver", "-c", str(config_path)]
        self._stdout = (workdir / "stdout.log").open("a")
        self._proc = await asyncio.create_subprocess_exec(
            *hs,
            cwd=workdir,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=self._stdout,
            stderr=asyncio.subprocess.STDOUT,
            preexec_fn=die_with_parent,
        )
        try:
            await self._wait_ready(START_TIMEOUT)
        except BaseException:
            await self.stop()
            raise
        if not (workdir / "localhost.signing.key").exists():
            raise SynapseStartError(self._failure("came up without a signing key"))
        self.start_seconds = time.monotonic() - started
        log.info("Synapse up at %s in %.1fs", self.base_url, self.start_seconds)

    async def _wait_ready(self, timeout: float) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                if self._proc.returncode is not None:
                    raise SynapseStartError(self._failure(f"exited with {self._proc.returncode}"))
                with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
                    async with session.get(
                        self.base_url + "/health", timeout=aiohttp.ClientTimeout(total=2)
                    ) as resp:
                        if resp.status == 200:
                            return
                await asyncio.sleep(0.1)
        raise SynapseStartError(self._failure(f"not ready after {timeout:.0f}s"))

    def _failure(self, what: str) -> str:
        assert self.workdir is not None
        return (
            f"Synapse {what}.\n--- stdout/stderr ---\n{_tail(self.workdir / 'stdout.log')}"
            f"\n--- homeserver.log ---\n{_tail(self.log_path)}"
        )

    async def stop(self) -> None:
        """Terminate gracefully (SQLite stays consistent), kill if it hangs."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), STOP_TIMEOUT)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        if self._stdout is not None:
            self._stdout.close()
            self._stdout = None

    async def restart(self) -> None:
        """Stop and start on the same port and data, for fault-tolerance tests."""
        if self.workdir is None:
            raise RuntimeError("restart() before start()")
        await self.stop()
        await self.start(self.workdir)

    async def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json_body: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Raw JSON call to the homeserver; raises on non-2xx with Synapse's reply."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with (
            aiohttp.ClientSession() as session,
            session.request(method, self.base_url + path, json=json_body, headers=headers) as resp,
        ):
            body = await resp.json(content_type=None)
            if resp.status >= 300:
                raise RuntimeError(f"{method} {path} -> {resp.status}: {body}")
            return dict(body)

    async def register_user(
        self, localpart: str, password: str, admin: bool = False
    ) -> RegisteredUser:
        """Create an account via the shared-secret admin API (registration is closed)."""
        path = "/_synapse/admin/v1/register"
        nonce = (await self.request("GET", path))["nonce"]
        mac = hmac.new(self.shared_secret.encode(), digestmod=hashlib.sha1)
        for part in (nonce, localpart, password):
            mac.update(part.encode("utf8"))
            mac.update(b"\x00")
        mac.update(b"admin" if admin else b"notadmin")
        body = {
            "nonce": nonce,
            "username": localpart,
            "password": password,
            "admin": admin,
            "mac": mac.hexdigest(),
        }
        reply = await self.request("POST", path, json_body=body)
        return RegisteredUser(
            user_id=reply["user_id"],
            password=password,
            access_token=reply["access_token"],
            device_id=reply["device_id"],
        )
