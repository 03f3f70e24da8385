"""The Teams adapter: the messaging endpoint in, the Bot Connector out.

Teams pushes activities to `POST /api/messages`. Each is checked (token,
service URL), then handed to the core, which records its id with the
command's effect in one transaction, so a redelivered activity changes and
answers nothing. Teams gives up on an endpoint after 15 s: the bot answers
within `ANSWER_WITHIN_S` and finishes longer work behind the answer. A
failure to store (the database down) is a 500, so Teams delivers again.
Posts without an incoming message use the channel's stored address
(`addresses.py`).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import replace

from aiohttp import web
from microsoft_agents.activity import Activity

from bot.chat.teams.addresses import ChannelAddresses
from bot.chat.teams.auth import TokenValidator, Unauthorized
from bot.chat.teams.chats import personal_chat
from bot.chat.teams.connector import Connector
from bot.chat.teams.files import FileShelf
from bot.chat.teams.ids import MessageRef, base_conversation, decode, is_teams_room, message_link
from bot.chat.teams.inbound import DELETE, MESSAGE, UPDATE, is_personal, tenant_of, to_incoming
from bot.chat.teams.outbound import activity_for
from bot.chat.teams.pages import file_download, privacy_page
from bot.chat.teams.people import TeamsPeople, TeamsPerson, people_of
from bot.chat.transport import (
    EventHandler,
    Incoming,
    IncomingKind,
    Outgoing,
    SendError,
    private_user,
)
from bot.config import Config, GroupConfig
from bot.config.directory import Directory, GroupDirectory
from bot.config.problems import TEAMS
from storage.db import Storage

log = logging.getLogger(__name__)
ANSWER_WITHIN_S = 10.0
MAX_ACTIVITY_BYTES = 256 * 1024


class TeamsTransport:
    name = TEAMS

    def __init__(
        self, config: Config, storage: Storage, directory: Directory | None = None
    ) -> None:
        assert config.teams is not None
        self.teams = config.teams
        self.storage = storage
        self.groups = config.groups_on(TEAMS)
        self.directory = directory or Directory(GroupDirectory.of(self.groups))
        self.connector = Connector(self.teams)
        # who the groups name is read at each lookup: a reload may change the rosters
        self.people = TeamsPeople(storage, self.connector, lambda: people_of(self.rooms.values()))
        self.validator = None
        if not self.teams.anonymous:
            self.validator = TokenValidator(
                self.teams.app_id or "", self.teams.tenant_id, self.teams.openid_metadata
            )
        self.shelf = FileShelf(config.storage.data_dir / "teams-files")
        self.privacy = config.privacy
        self.addresses = ChannelAddresses(storage)
        self.on_reachable: Callable[[], None] | None = None  # a channel's address came in
        self.addresses.on_new = lambda: self.on_reachable and self.on_reachable()
        self._names: dict[str, str] = {}
        self._on_event: EventHandler | None = None
        self._stopped = asyncio.Event()
        self._in_flight: dict[str, asyncio.Task] = {}  # activity key -> its work
        self.port: int | None = None  # the port listened on, once started

    async def connect(self) -> dict[str, GroupConfig]:
        """The channels served (Teams needs no log-in: it pushes to the endpoint)."""
        return {g.room: g for g in self.groups}

    @property
    def rooms(self) -> Mapping[str, GroupConfig]:
        return self.directory.current.rooms(TEAMS)

    def owns(self, room_id: str) -> bool:
        return is_teams_room(room_id, self.rooms)

    def permalink(self, room_id: str, message_id: str) -> str | None:
        return message_link(message_id)

    async def health(self) -> str | None:
        return None if self.port is not None else "the messaging endpoint is not listening"

    def sync_lag(self) -> float | None:  # pushed to, never syncs
        return None

    async def start(self, on_event: EventHandler) -> None:
        self._on_event = on_event
        app = web.Application(client_max_size=MAX_ACTIVITY_BYTES)
        app.router.add_post("/api/messages", self._messages)
        app.router.add_get("/files/{token}/{name}", self._file)
        app.router.add_get("/privacy", self._privacy_page)
        self.shelf.sweep()  # links that expired while the bot was down
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self.teams.host, self.teams.port)
        await site.start()
        self.port = runner.addresses[0][1] if runner.addresses else self.teams.port
        log.info("Teams messaging endpoint on %s:%d/api/messages", self.teams.host, self.port)
        try:
            await self._stopped.wait()
            if self._in_flight:
                await asyncio.wait(self._in_flight.values(), timeout=ANSWER_WITHIN_S)
        finally:
            self.port = None
            await runner.cleanup()

    async def stop(self) -> None:
        self._stopped.set()

    async def close(self) -> None:
        await self.connector.close()

    # Incoming -------------------------------------------------------------

    async def _messages(self, request: web.Request) -> web.Response:
        try:
            activity = Activity.model_validate(json.loads(await request.read()))
        except web.HTTPRequestEntityTooLarge:
            raise
        except (ValueError, RecursionError):  # not JSON / UTF-8 / an activity; absurd nesting
            return web.json_response({"error": "not a Bot Framework activity"}, status=400)
        channel_id = str(activity.channel_id or "")
        if channel_id != "msteams":
            return web.json_response({"error": "this endpoint serves Microsoft Teams"}, status=400)
        if activity.conversation is None or not activity.conversation.id:
            return web.json_response({"error": "an activity needs a conversation"}, status=400)
        service_url = activity.service_url or ""
        if self.validator is not None:
            try:
                await self.validator.validate(
                    request.headers.get("Authorization"), service_url, channel_id
                )
            except Unauthorized as exc:
                log.warning("refused an activity: %s", exc)
                return web.json_response({"error": "unauthorized"}, status=401)
        if not self.connector.allowed(service_url):
            log.warning("refused an activity: service URL host not allowed (%s)", service_url)
            return web.json_response({"error": "service URL not allowed"}, status=403)
        tenant = tenant_of(activity)
        if self.teams.tenant_id and tenant.lower() != self.teams.tenant_id.lower():
            log.warning("refused an activity from another tenant (%s)", tenant)
            return web.json_response({"error": "not this bot's tenant"}, status=403)
        # Teams redelivers an activity it thinks was lost, maybe while the first
        # delivery is still in work: the second waits for that work instead of
        # racing it to the database.
        stamp = str(activity.timestamp or "")
        key = f"{activity.type}|{activity.conversation.id}|{activity.id}|{stamp}"
        work = self._in_flight.get(key)
        if work is None:
            work = self._in_flight[key] = asyncio.create_task(self._process(activity))
            work.add_done_callback(lambda done, key=key: self._finished(done, key))
        try:
            await asyncio.wait_for(asyncio.shield(work), ANSWER_WITHIN_S)
        except TimeoutError:
            # Not stored yet: say so, and Teams delivers it again. If this run
            # still finishes, the redelivery finds the activity processed.
            log.warning("activity %s not done in time; Teams asked to retry", activity.id)
            return web.json_response({"error": "try again"}, status=503)
        except Exception:
            return web.json_response({"error": "try again"}, status=500)
        return web.Response(status=200)

    def _finished(self, work: asyncio.Task, key: str) -> None:
        self._in_flight.pop(key, None)
        if not work.cancelled() and work.exception() is not None:
            log.error(
                "an activity could not be handled; Teams will deliver it again",
                exc_info=work.exception(),
            )

    async def _process(self, activity: Activity) -> None:
        conversation = activity.conversation.id  # `_messages` refused activities without one
        personal = is_personal(activity)
        channel = base_conversation(conversation)
        if not personal:
            # Install events come from the team's General channel: the address
            # (service URL, tenant, bot id) is the team's, so it serves every
            # configured channel until that channel's own activities arrive.
            await self.addresses.learn(channel if channel in self.rooms else None, activity)
        if not personal and channel not in self.rooms:
            log.info("activity in a conversation no group meets in (%s); ignored", channel)
            return
        if activity.type not in (MESSAGE, UPDATE, DELETE) or activity.from_property is None:
            return
        sender = await self._sender(activity)
        if personal:
            await self._remember_chat(sender, conversation, activity.service_url or "")
        mentioned = await self.people.mentioned_in(activity)
        bot_id = activity.recipient.id if activity.recipient else ""
        incoming = to_incoming(activity, sender.person, mentioned, bot_id)
        if incoming is None or self._on_event is None:
            return
        if sender.name and self._names.get(sender.person) != sender.name:
            self._names[sender.person] = sender.name
            await self._on_event(
                Incoming(
                    IncomingKind.PROFILE,
                    f"{incoming.event_id}|profile",
                    incoming.room_id,
                    sender.person,
                    incoming.timestamp,
                    sender.name,
                )
            )
        await self._on_event(incoming)

    async def _sender(self, activity: Activity) -> TeamsPerson:
        account = activity.from_property
        return await self.people.sender(
            activity.service_url or "",
            activity.conversation.id,
            account.id,
            account.aad_object_id or "",
            account.name or "",
        )

    async def _remember_chat(self, person: TeamsPerson, chat: str, service_url: str) -> None:
        """The personal chat, for answers and private posts (`remember` keeps
        an outsider's for this run only)."""
        if person.chat == chat:
            return
        await self.people.remember(replace(person, chat=chat, service_url=service_url))

    # Outgoing -------------------------------------------------------------

    async def send(self, message: Outgoing, txn_id: str) -> str:
        """Any failure is a `SendError` (the outbox's task must live on)."""
        try:
            return await self._send(message)
        except SendError:
            raise
        except Exception as exc:
            log.exception("sending %s to Teams failed", txn_id)
            raise SendError(f"unexpected {type(exc).__name__}", permanent=False) from None

    async def _send(self, message: Outgoing) -> str:
        person = private_user(message.room_id)
        if person is not None:
            conversation, service_url = await self._chat_with(person)
        else:
            conversation = message.room_id
            service_url = (await self.addresses.of(conversation)).service_url
        activity = await activity_for(
            message, self.people, self.shelf, self.teams.public_url, (service_url, conversation)
        )
        if message.replaces:
            target = decode(message.replaces)
            if target is None:
                raise SendError("not a Teams message id to edit", permanent=True)
            await self.connector.edit(
                service_url, target.conversation, target.activity_id, activity
            )
            return message.replaces
        reply_to = decode(message.reply_to) if message.reply_to else None
        if reply_to is not None:
            thread = reply_to.thread
            sent = await self.connector.reply(service_url, thread, reply_to.activity_id, activity)
            return MessageRef(thread, sent).encode()
        try:
            sent = await self.connector.post(service_url, conversation, activity)
        except SendError as exc:
            if exc.status in (403, 404) and not await self.addresses.has_own(conversation):
                # posted with the team's address to a channel that has never
                # spoken to the bot: most likely it is not in that team yet
                raise SendError(
                    f"{exc}: is the bot added to the team of {conversation}?",
                    permanent=False,
                    waiting=True,
                ) from None
            raise
        return MessageRef(conversation, sent).encode()

    async def _chat_with(self, person: str) -> tuple[str, str]:
        return await personal_chat(person, self.people, self.addresses, self.connector)

    async def _privacy_page(self, request: web.Request) -> web.Response:
        return privacy_page(self.privacy)

    async def _file(self, request: web.Request) -> web.StreamResponse:
        return file_download(self.shelf, request.match_info["token"], request.match_info["name"])
