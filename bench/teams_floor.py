"""The Teams floor: the least a Teams bot costs, built the way Microsoft's SDK
builds one.

A Microsoft 365 Agents SDK echo bot on the SDK's own aiohttp hosting
(`CloudAdapter`, `start_agent_process`, the SDK's JWT middleware in its
anonymous mode): every message activity gets one threaded reply through the
Bot Connector (`context.send_activity`, which replies to the incoming
activity), which is what the bot does for a command. No parsing, no storage,
no dedupe, no sender lookup: so the gap between the bot and this floor is
the bot's own work, the SDK's request handling and connector calls being
paid by both (the bot uses the same SDK's `ConnectorClient`).

`python -m bench.teams_floor --port N` logs READY once it listens.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from aiohttp import web
from microsoft_agents.hosting.aiohttp import (
    CloudAdapter,
    jwt_authorization_middleware,
    start_agent_process,
)
from microsoft_agents.hosting.core import (
    ActivityHandler,
    AgentAuthConfiguration,
    AnonymousTokenProvider,
    ConnectionManager,
    MessageFactory,
    TurnContext,
)

log = logging.getLogger("bench.teams_floor")
READY = "Teams messaging endpoint on"  # the bot's own ready line, so one wait serves both
REPLY = "ok"


class EchoFloor(ActivityHandler):
    """One reply per message, in the message's thread."""

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        await turn_context.send_activity(MessageFactory.text(REPLY))


def make_app() -> web.Application:
    """The SDK's anonymous set-up: the JWT middleware lets requests without a
    token through (as the bot's `allow_anonymous` does), and the connection
    manager hands out the SDK's anonymous token provider (no Entra app, so
    no MSAL and no token fetch per reply)."""
    config = AgentAuthConfiguration(anonymous_allowed=True)
    connections = ConnectionManager(
        provider_factory=lambda _config: AnonymousTokenProvider(),
        connections_configurations={"SERVICE_CONNECTION": config},
    )
    adapter = CloudAdapter(connection_manager=connections)
    agent = EchoFloor()

    async def messages(request: web.Request) -> web.Response:
        return await start_agent_process(request, agent, adapter)

    app = web.Application(middlewares=[jwt_authorization_middleware])
    app["agent_configuration"] = config
    app.router.add_post("/api/messages", messages)
    return app


async def serve(host: str, port: int) -> None:
    runner = web.AppRunner(make_app(), access_log=None)  # the bot logs no line per request either
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("%s %s:%d/api/messages (SDK echo floor)", READY, host, port)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    try:
        await stopping.wait()
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.teams_floor")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    # The bot's log format and level, so the ready line parses the same way.
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("microsoft_agents").setLevel(logging.WARNING)  # as the bot sets it
    # ... but not a warning per turn that anonymous mode has no app id: a log
    # write per command would be a cost of this harness, not of the SDK's work.
    logging.getLogger("microsoft_agents.hosting.core.connector.client.user_token_client").setLevel(
        logging.ERROR
    )
    asyncio.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
