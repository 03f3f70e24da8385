"""The group's archive on the web: pages for people who signed in with a
`!web` link (`bot.runtime.web_access`), rendered server-side with Jinja2
(autoescaped: member text stays text), no script anywhere.

Why these choices:
- Opening a sign-in link shows a button; the POST signs in. Link previews
  (a homeserver's URL preview, a mail scanner) open links too, and must
  not use up a single-use link.
- A group one may not read answers 404, the same as one that does not
  exist: nothing tells an outsider which groups there are.
- Signing out is a POST carrying the session's form token (no state change
  on GET, no cross-site sign-out).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from time import monotonic

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.config import GroupConfig
from bot.config.web import WebConfig
from bot.runtime.core import BotCore
from bot.runtime.web_access import SESSION_LIFETIME, readable_groups, session_of, sign_in
from bot.web import pages, pages_record
from storage.repo import Repo

HERE = Path(__file__).resolve().parent
COOKIE = "allies_session"
# A report page is rebuilt after any change to the record in this process, and
# at least this often (an operator's erasure from the command line is another
# process: this bounds how long a report page may still show the person).
REPORT_FRESH_S = 300.0
_SIGN_IN_FAILED = {
    "used": ("Link already used", "This sign-in link was used already: each works once. "
             "Send !web in the group's room for a new one.", 410),
    "expired": ("Link expired", "This sign-in link has expired (links work for 15 minutes). "
                "Send !web in the group's room for a new one.", 410),
    "unknown": ("Not found", "There is no such page.", 404),
}  # fmt: skip


async def _no_icon(_request: web.Request) -> web.Response:
    """Browsers ask for one; there is none (and no 404 in their console)."""
    return web.Response(status=204)


class Archive:
    def __init__(self, config: WebConfig, core: BotCore) -> None:
        self.config, self.core = config, core
        self.secure = config.public_url.startswith("https://")
        # (group, year) -> (record changes seen, when built, the page's data): a
        # year's report takes ~100 ms to build and changes only with the record
        self._reports: dict[tuple[str, int], tuple[int, float, dict]] = {}

    def add_to(self, app: web.Application) -> None:
        aiohttp_jinja2.setup(
            app,
            loader=jinja2.FileSystemLoader(HERE / "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        app.router.add_static("/static/", HERE / "static", append_version=False)
        app.router.add_get("/", self.index)
        app.router.add_get("/favicon.ico", _no_icon)
        app.router.add_get("/signin/{token}", self.signin_page)
        app.router.add_post("/signin/{token}", self.signin)
        app.router.add_post("/signout", self.signout)
        app.router.add_get("/g/{group}", self.group_home)
        app.router.add_get("/g/{group}/meetings", self.meetings)
        app.router.add_get("/g/{group}/meetings/{slug}", self.meeting)
        app.router.add_get("/g/{group}/decisions", self.decisions)
        app.router.add_get("/g/{group}/actions", self.actions)
        app.router.add_get("/g/{group}/outputs", self.outputs)
        app.router.add_get("/g/{group}/reports", self.reports)
        app.router.add_get("/g/{group}/reports/{year:\\d{4}}", self.report)

    async def _reader(self, request: web.Request) -> tuple[str, str] | None:
        now = self.core.clock()

        async def work(repo: Repo):
            return await session_of(repo, request.cookies.get(COOKIE), now)

        return await self.core.storage.run_in_transaction(work)

    def _page(self, request, name: str, status: int = 200, **context) -> web.Response:
        context.setdefault("user", None)
        context.setdefault("csrf", "")
        context.setdefault("group", None)
        return aiohttp_jinja2.render_template(name, request, context, status=status)

    def _message(self, request, title: str, text: str, status: int = 200, **more) -> web.Response:
        return self._page(
            request, "message.html", status, title=title, text=text, form=None, **more
        )

    async def _group(self, request: web.Request) -> tuple[str, str, GroupConfig]:
        reader = await self._reader(request)
        group = self.core.groups.group(request.match_info["group"])
        if reader is None or group is None or group not in readable_groups([group], reader[0]):
            raise web.HTTPNotFound()
        return reader[0], reader[1], group

    async def index(self, request: web.Request) -> web.Response:
        reader = await self._reader(request)
        if reader is None:
            return self._message(
                request, "Meeting archive",
                "To read your group's archive, send !web in the group's room: I answer "
                "privately with a link that signs you in.",
            )  # fmt: skip
        groups = readable_groups(self.core.groups.served(), reader[0])
        return self._page(request, "index.html", title="Your groups", groups=groups,
                          user=reader[0], csrf=reader[1])  # fmt: skip

    async def signin_page(self, request: web.Request) -> web.Response:
        return self._page(
            request, "message.html", title="Sign in",
            text="Sign in to your group's meeting archive in this browser (for 30 days).",
            form=request.path, button="Sign in",
        )  # fmt: skip

    def _same_site(self, request: web.Request) -> bool:
        """A form of our own pages, or no Origin at all (old browsers): never
        another site making a browser sign in as someone else (login CSRF)."""
        origin = request.headers.get("Origin")
        if origin is None or origin == "null":
            return origin is None
        ours = "/".join(self.config.public_url.split("/", 3)[:3])  # scheme://host[:port]
        return origin in (ours, f"{request.scheme}://{request.host}")

    async def signin(self, request: web.Request) -> web.Response:
        now = self.core.clock()
        if not self._same_site(request):
            return self._message(request, "Not signed in", "That did not come from this site.", 403)

        async def work(repo: Repo):
            return await sign_in(repo, request.match_info["token"], now)

        outcome, session, _user = await self.core.storage.run_in_transaction(work)
        if outcome != "ok" or session is None:
            title, text, status = _SIGN_IN_FAILED[outcome]
            return self._message(request, title, text, status)
        response = web.HTTPSeeOther("/")
        response.set_cookie(
            COOKIE, session, max_age=int(SESSION_LIFETIME.total_seconds()), httponly=True,
            secure=self.secure, samesite="Lax", path="/",
        )  # fmt: skip
        raise response

    async def signout(self, request: web.Request) -> web.Response:
        reader = await self._reader(request)
        form = await request.post()
        if reader is None or form.get("csrf") != reader[1] or not self._same_site(request):
            return self._message(
                request, "Not signed out", "That did not come from your page.", 403
            )

        async def work(repo: Repo):
            return await repo.end_web_sessions(reader[0])

        await self.core.storage.run_in_transaction(work)
        response = web.HTTPSeeOther("/")
        response.del_cookie(COOKIE, path="/")
        raise response

    async def _view(self, request: web.Request, gather):
        user, csrf, group = await self._group(request)
        now = self.core.clock()

        async def work(repo: Repo):
            return await gather(repo, group, now)

        return user, csrf, group, await self.core.storage.run_in_transaction(work)

    async def group_home(self, request: web.Request) -> web.Response:
        user, csrf, group, data = await self._view(request, pages.home)
        return self._page(request, "group.html", title=group.name, user=user, csrf=csrf,
                          group=group, feed=True, **data)  # fmt: skip

    async def meetings(self, request: web.Request) -> web.Response:
        user, csrf, group, lines = await self._view(request, pages.meeting_lines)
        return self._page(request, "meetings.html", title=f"{group.name} meetings", user=user,
                          csrf=csrf, group=group, meetings=lines)  # fmt: skip

    async def meeting(self, request: web.Request) -> web.Response:
        slug = request.match_info["slug"]

        async def gather(repo: Repo, group: GroupConfig, now: datetime):
            return await pages.meeting_view(repo, group, slug, now)

        user, csrf, group, view = await self._view(request, gather)
        if view is None:
            raise web.HTTPNotFound()
        return self._page(request, "meeting.html", title=f"{view.title}, {slug}", user=user,
                          csrf=csrf, group=group, view=view)  # fmt: skip

    async def actions(self, request: web.Request) -> web.Response:
        user, csrf, group, rows = await self._view(request, pages_record.action_rows)
        return self._page(request, "actions.html", title=f"{group.name} actions", user=user,
                          csrf=csrf, group=group, **rows)  # fmt: skip

    async def outputs(self, request: web.Request) -> web.Response:
        user, csrf, group, data = await self._view(request, pages_record.output_stages)
        return self._page(request, "outputs.html", title=f"{group.name} outputs", user=user,
                          csrf=csrf, group=group, **data)  # fmt: skip

    async def reports(self, request: web.Request) -> web.Response:
        user, csrf, group, years = await self._view(request, pages_record.report_years)
        return self._page(request, "reports.html", title=f"{group.name} reports to WP2",
                          user=user, csrf=csrf, group=group, years=years, body=None,
                          note="", year=None)  # fmt: skip

    async def report(self, request: web.Request) -> web.Response:
        year = int(request.match_info["year"])

        async def gather(repo: Repo, group: GroupConfig, now: datetime):
            changes = self.core.record_changes
            cached = self._reports.get((group.id, year))
            if cached and cached[0] == changes and monotonic() - cached[1] < REPORT_FRESH_S:
                return cached[2]
            data = await pages_record.report_view(repo, group, year, now)
            self._reports[(group.id, year)] = (changes, monotonic(), data)
            return data

        user, csrf, group, data = await self._view(request, gather)
        title = f"{group.name}: report {year}"
        return self._page(request, "reports.html", title=title, user=user, csrf=csrf,
                          group=group, years=[], year=year, **data)  # fmt: skip

    async def decisions(self, request: web.Request) -> web.Response:
        words = request.query.get("q", "")[:200]
        year_text = request.query.get("year", "")
        year = int(year_text) if year_text.isdigit() and 2000 <= int(year_text) <= 2100 else None

        async def gather(repo: Repo, group: GroupConfig, now: datetime):
            return await pages.decision_lines(repo, group, words, year, now)

        user, csrf, group, found = await self._view(request, gather)
        return self._page(request, "decisions.html", title=f"{group.name} decisions", user=user,
                          csrf=csrf, group=group, found=found, q=words, year=year)  # fmt: skip
