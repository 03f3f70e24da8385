"""The bot's calls to the Bot Connector: retried only when Teams did not take
them, honouring Retry-After; only allow-listed hosts; files behind tokens."""

from contextlib import AsyncExitStack

import pytest
import pytest_asyncio
from aiohttp import web
from microsoft_agents.activity import Activity

from bot.chat.teams.connector import Connector, service_url_allowed
from bot.chat.teams.files import FileShelf
from bot.chat.transport import SendError
from bot.config.teams import TeamsConfig
from tests.loopback import serving

ANONYMOUS = TeamsConfig(app_id=None, allow_anonymous=True)


class Answers:
    """A connector that answers from a script and records the calls."""

    def __init__(self, *answers: tuple[int, dict, dict]) -> None:
        self.answers = list(answers)
        self.calls: list[str] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.calls.append(f"{request.method} {request.raw_path}")
        status, body, headers = self.answers.pop(0)
        return web.json_response(body, status=status, headers=headers)


@pytest_asyncio.fixture
async def connector_at():
    async with AsyncExitStack() as servers:

        async def start(answers: Answers) -> str:
            app = web.Application()
            app.router.add_route("*", "/{tail:.*}", answers.handle)
            return await servers.enter_async_context(serving(app)) + "/"

        yield start


def message() -> Activity:
    return Activity.model_validate({"type": "message", "text": "hello"})


async def test_a_busy_teams_is_retried_after_the_time_it_asks_for(connector_at):
    answers = Answers((429, {}, {"Retry-After": "2"}), (201, {"id": "171"}, {}))
    url = await connector_at(answers)
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    connector = Connector(ANONYMOUS, sleep=sleep)
    try:
        assert await connector.post(url, "19:c@thread.tacv2", message()) == "171"
    finally:
        await connector.close()
    assert slept == [2.0]
    assert answers.calls == ["POST /v3/conversations/19:c@thread.tacv2/activities"] * 2


async def test_an_id_stays_one_path_segment(connector_at):
    answers = Answers((201, {"id": "1"}, {}))
    connector = Connector(ANONYMOUS)
    try:
        await connector.reply(await connector_at(answers), "a/../b?x#y", "1/2", message())
    finally:
        await connector.close()
    assert answers.calls == ["POST /v3/conversations/a%2F..%2Fb%3Fx%23y/activities/1%2F2"]


async def test_a_refusal_is_final_and_an_outage_is_left_to_the_outbox(connector_at):
    refusal = Answers((403, {"error": "no"}, {}))
    connector = Connector(ANONYMOUS, sleep=lambda s: _nothing())
    try:
        with pytest.raises(SendError) as caught:
            await connector.post(await connector_at(refusal), "c", message())
        assert caught.value.permanent and len(refusal.calls) == 1
        outage = Answers(*[(503, {}, {})] * 3)
        with pytest.raises(SendError) as caught:
            await connector.post(await connector_at(outage), "c", message())
        assert not caught.value.permanent and len(outage.calls) == 3
    finally:
        await connector.close()


async def test_an_answer_without_a_message_id_is_not_posted_again(connector_at):
    answers = Answers((201, {"id": {"not": "a string"}}, {}))
    connector = Connector(ANONYMOUS)
    try:
        with pytest.raises(SendError) as caught:
            await connector.post(await connector_at(answers), "c", message())
    finally:
        await connector.close()
    assert caught.value.permanent and len(answers.calls) == 1  # Teams has it: never again


async def _nothing() -> None:
    return None


def test_only_microsofts_hosts_unless_anonymous_on_loopback():
    assert service_url_allowed("https://smba.trafficmanager.net/emea/", anonymous=False)
    assert service_url_allowed("https://x.botframework.com/", anonymous=False)
    assert not service_url_allowed("http://smba.trafficmanager.net/emea/", anonymous=False)
    assert not service_url_allowed("https://evilbotframework.com/", anonymous=False)
    assert not service_url_allowed("https://botframework.com.evil.example/", anonymous=False)
    assert not service_url_allowed("http://127.0.0.1:9/", anonymous=False)
    assert service_url_allowed("http://localhost:9/_connector", anonymous=True)
    assert service_url_allowed("http://127.0.0.1:9/", anonymous=False, extra_hosts=("127.0.0.1",))


async def test_the_bot_never_calls_a_host_off_the_list():
    connector = Connector(TeamsConfig(app_id=None, allow_anonymous=False, app_password=None))
    with pytest.raises(SendError) as caught:
        await connector.post("https://attacker.example/", "c", message())
    assert caught.value.permanent


def test_a_file_is_served_only_with_its_token_and_not_after_it_expires(tmp_path):
    now = [1_000.0]
    shelf = FileShelf(tmp_path / "files", clock=lambda: now[0], ttl=60)
    token = shelf.put("allies-meetings.ics", "text/calendar", b"BEGIN:VCALENDAR")
    stored = shelf.get(token)
    assert stored.name == "allies-meetings.ics" and stored.path.read_bytes() == b"BEGIN:VCALENDAR"
    assert (stored.path.stat().st_mode & 0o777) == 0o600
    other = token[:-1] + ("B" if token[-1] == "A" else "A")
    assert shelf.get("../" + token) is None and shelf.get(other) is None
    now[0] += 61
    assert shelf.get(token) is None
    assert shelf.sweep() == 1 and not list((tmp_path / "files").iterdir())


def test_a_file_for_one_person_alone_expires_within_a_day(tmp_path):
    from bot.chat.teams.outbound import file_link
    from bot.chat.transport import OutgoingFile

    now = [0.0]
    shelf = FileShelf(tmp_path / "files", clock=lambda: now[0])
    export = OutgoingFile("mydata.json", "application/json", b"{}")
    private = file_link(shelf, "https://bot.example", export, private=True)
    public = file_link(shelf, "https://bot.example", export, private=False)
    assert "works for 1 day)" in private and "works for 30 days)" in public
    private_token, public_token = (
        link.split("/files/")[1].split("/")[0] for link in (private, public)
    )
    now[0] = 24 * 3600 + 1
    assert shelf.get(private_token) is None and shelf.get(public_token) is not None
