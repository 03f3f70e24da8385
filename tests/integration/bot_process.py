"""Runs the real `allies-bot run` CLI as a subprocess against the test Synapse.

A separate process, not an in-process object, so restarts and kills are as
real as they get and the CLI, config loading and logging are exercised too.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from .synapse_server import die_with_parent

REPO = Path(__file__).resolve().parents[2]


@dataclass
class GroupSpec:
    id: str
    room: str
    chairs: list[str]
    members: dict[str, str]  # user id -> alliance
    vice_chairs: tuple[str, ...] = ()
    extra_toml: str = ""  # e.g. a [groups.cadence] table for this group
    email: str | None = None  # the group's mailing list
    addresses: dict[str, str] | None = None  # user id -> personal mail address


def render_config(homeserver: str, bot_user: str, groups: list[GroupSpec]) -> str:
    lines = [
        "[matrix]",
        f'homeserver = "{homeserver}"',
        f'user_id = "{bot_user}"',
        'device_name = "allies-bot-test"',
        "[storage]",
        'url = "sqlite+aiosqlite:///data/bot.db"',
        'data_dir = "data"',
    ]
    for group in groups:
        lines += [
            "[[groups]]",
            f'id = "{group.id}"',
            f'name = "{group.id.upper()}"',
            f'room = "{group.room}"',
            'timezone = "Europe/Brussels"',
            f"chairs = {json.dumps(group.chairs)}",
            f"vice_chairs = {json.dumps(list(group.vice_chairs))}",
        ]
        if group.email:
            lines.append(f'email = "{group.email}"')
        for user, alliance in group.members.items():
            lines += ["[[groups.members]]", f'user = "{user}"', f'alliance = "{alliance}"']
            if address := (group.addresses or {}).get(user):
                lines.append(f'email = "{address}"')
        lines.append(group.extra_toml)
    return "\n".join(lines) + "\n"


class BotProcess:
    # Started and not yet stopped: a test that fails before it stops its bot
    # leaves it here, and the integration conftest kills it after the test.
    running: ClassVar[set[BotProcess]] = set()

    def __init__(self, workdir: Path, config_text: str, password: str) -> None:
        self.workdir = workdir
        self.config_path = workdir / "config.toml"
        self.config_path.write_text(config_text)
        self.password = password
        self.log_path = workdir / "bot.log"
        self.process: asyncio.subprocess.Process | None = None
        self.extra_env: dict[str, str] = {}  # e.g. a Teams app password

    async def start(self) -> None:
        env = {**os.environ, "ALLIES_BOT_PASSWORD": self.password, **self.extra_env}
        log = self.log_path.open("ab")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "run",
            "--config",
            str(self.config_path),
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=log,
            preexec_fn=die_with_parent,  # no bot outlives a killed pytest either
        )
        log.close()
        BotProcess.running.add(self)

    async def wait_for_log(self, text: str, timeout: float = 20.0) -> None:
        """Wait until the bot has logged `text` (e.g. that its sync loop runs)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while text not in self.log():
            if self.process and self.process.returncode is not None:
                raise AssertionError(f"bot exited ({self.process.returncode}):\n{self.log()}")
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"bot never logged {text!r}:\n{self.log()[-3000:]}")
            await asyncio.sleep(0.1)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    async def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(sig)
            try:
                await asyncio.wait_for(self.process.wait(), timeout)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        BotProcess.running.discard(self)
        return self.process.returncode

    def kill_now(self) -> None:
        """SIGKILL, without waiting (any event loop may be gone by now; the
        loop that started it reaps it)."""
        BotProcess.running.discard(self)
        if self.process is not None and self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signal.SIGKILL)

    def session(self) -> dict:
        return json.loads((self.workdir / "data" / "matrix-session.json").read_text())


async def run_cli(bot: BotProcess, *args: str) -> str:
    """`allies-bot <args[0]> --config <the bot's> <args[1:]>`; its output (exit 0 asserted)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        args[0],
        "--config",
        str(bot.config_path),
        *args[1:],
        cwd=REPO,
        env={**os.environ, "ALLIES_BOT_PASSWORD": bot.password},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode == 0, output.decode()
    return output.decode()
