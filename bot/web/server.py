"""The public server: `GET /calendar/<token>/<group>.ics`, the one-click
mail opt-out (RFC 8058) at `/mail/optout/<token>`, and the group's archive
(`bot.web.archive`).

Why these choices:
- The feed's token is the only secret: an unknown token or a group name that
  does not match it answers 404, the same as a page that does not exist, so
  nothing tells a guesser which part was wrong.
- Conditional requests (`If-None-Match`, `If-Modified-Since`) answer 304 from
  the entries' hash without building the body: calendar applications poll.
- Opening an opt-out link changes nothing (mail scanners open links); the
  POST does, and RFC 8058 clients send exactly that POST.
- `Referrer-Policy: same-origin`: the URLs carry tokens, so no other site
  learns them; our own forms still send their true `Origin` (with
  `no-referrer` a browser sends `Origin: null`, which the sign-in check refuses).
"""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from time import monotonic

from aiohttp import web

from bot.config import GroupConfig
from bot.config.web import WebConfig
from bot.runtime.core import BotCore
from bot.runtime.feed import Feed, group_feed
from bot.runtime.mail_tokens import OPTOUT, redeem
from bot.web.archive import Archive
from storage.repo import Repo

log = logging.getLogger(__name__)
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _page(title: str, text: str, *, status: int = 200, form: str | None = None) -> web.Response:
    """A minimal page: a heading, a sentence, maybe a button (no script, no style)."""
    button = (
        f'<form method="post" action="{html.escape(form)}">'
        '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
        '<button type="submit">Stop these mails</button></form>'
        if form
        else ""
    )
    body = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title></head><body><main>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>{button}</main></body></html>"
    )
    return web.Response(status=status, text=body, content_type="text/html", charset="utf-8")


def _not_modified(request: web.Request, etag: str, modified: datetime) -> bool:
    tags = request.headers.get("If-None-Match")
    if tags is not None:
        return etag in {tag.strip() for tag in tags.split(",")} or tags.strip() == "*"
    since = request.if_modified_since
    return since is not None and modified.replace(microsecond=0) <= since


FEED_FRESH_S = 300.0  # a feed is rebuilt at least this often (the window moves, agendas appear)


class WebServer:
    def __init__(self, config: WebConfig, core: BotCore) -> None:
        self.config = config
        self.core = core
        self.port = config.port
        self._runner: web.AppRunner | None = None
        # group id -> (feed, when built): calendar applications poll, and most
        # polls find nothing changed. A chair's change drops the group's entry.
        self._feeds: dict[str, tuple[Feed, float]] = {}
        self._changes: dict[str, int] = {}  # group id -> chairs' changes seen
        # group id -> (ETag, when that body appeared): Last-Modified must move
        # with anything in the body (an agenda link, a reason), not only times
        self._modified: dict[str, tuple[str, datetime]] = {}
        core.calendar_listeners.append(self._calendar_changed)

    async def _calendar_changed(self, group_id: str) -> None:
        self._changes[group_id] = self._changes.get(group_id, 0) + 1
        self._feeds.pop(group_id, None)

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._headers])
        app.router.add_get("/calendar/{token}/{name}", self._feed)
        app.router.add_get("/mail/optout/{token}", self._optout_page)
        app.router.add_post("/mail/optout/{token}", self._optout)
        Archive(self.config, self.core).add_to(app)
        return app

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app(), access_log=None)  # URLs hold tokens
        await self._runner.setup()
        await web.TCPSite(self._runner, self.config.host, self.config.port).start()
        self.port = self._runner.addresses[0][1]
        log.info("web server on http://%s:%d", self.config.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @web.middleware
    async def _headers(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            if exc.status < 400:  # a redirect (signing in or out): on its way, with our headers
                exc.headers.update(SECURITY_HEADERS)
                exc.headers.setdefault("Cache-Control", "private, no-store")
                raise
            response = _page("Not found", "There is no such page.", status=exc.status)
        response.headers.update(SECURITY_HEADERS)
        response.headers.setdefault("Cache-Control", "private, no-store")
        return response

    async def _feed(self, request: web.Request) -> web.StreamResponse:
        token, name = request.match_info["token"], request.match_info["name"]
        now = self.core.clock()

        group_id = await self.core.storage.group_of_feed_token(token)
        group = self.core.groups.group(group_id) if group_id else None
        if group is None or name != f"{group.id}.ics":
            raise web.HTTPNotFound()
        feed = await self._feed_of(group, now)
        modified = self._last_modified(group.id, feed, now)
        headers = {"ETag": feed.etag, "Cache-Control": "private, no-cache"}
        if _not_modified(request, feed.etag, modified):
            response = web.Response(status=304, headers=headers)
        else:
            response = web.Response(body=feed.body(), headers=headers)
            response.content_type, response.charset = "text/calendar", "utf-8"
        response.last_modified = modified
        return response

    def _last_modified(self, group_id: str, feed: Feed, now: datetime) -> datetime:
        """The entries' own last change, or when this body first appeared if it
        changed otherwise since this process served it."""
        seen = self._modified.get(group_id)
        if seen is None:
            seen = (feed.etag, feed.last_modified)
        elif seen[0] != feed.etag:
            seen = (feed.etag, max(feed.last_modified, now))
        self._modified[group_id] = seen
        return seen[1]

    async def _feed_of(self, group: GroupConfig, now: datetime) -> Feed:
        """The group's feed, rebuilt when a chair changed its calendar, the
        config changed the group, or it is FEED_FRESH_S old."""
        cached = self._feeds.get(group.id)
        if cached and cached[0].group == group and monotonic() - cached[1] < FEED_FRESH_S:
            return cached[0]

        async def work(repo: Repo) -> Feed:
            return await group_feed(repo, group, self.config, now, self.core.link)

        changes = self._changes.get(group.id, 0)
        feed = await self.core.storage.run_in_transaction(work)
        if self._changes.get(group.id, 0) == changes:  # no change landed while it was built
            self._feeds[group.id] = (feed, monotonic())
        return feed

    async def _optout_page(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]

        async def work(repo: Repo):
            return await redeem(repo, OPTOUT, token, self.core.clock())

        found = await self.core.storage.run_in_transaction(work)
        group = self.core.groups.group(found.group_id) if found else None
        if found is None or group is None:
            return _page("Link expired", "This opt-out link is not valid (any more).", status=404)
        return _page(
            f"Stop {group.name} reminder mails?",
            "You will get no more personal reminders (missing updates, actions due) "
            "by mail or mention. The agenda and minutes to the list are not affected.",
            form=request.path,
        )

    async def _optout(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]

        async def work(repo: Repo):
            found = await redeem(repo, OPTOUT, token, self.core.clock())
            if found is not None:
                await repo.set_quiet(found.group_id, found.user_id, True)
            return found

        found = await self.core.storage.run_in_transaction(work)
        group = self.core.groups.group(found.group_id) if found else None
        if found is None or group is None:
            return _page("Link expired", "This opt-out link is not valid (any more).", status=404)
        log.info("group %s: a member opted out of reminders by mail link", group.id)
        return _page(
            "Done",
            f"You will get no more {group.name} reminders. Send !quiet off in the group's "
            "room to have them again.",
        )
