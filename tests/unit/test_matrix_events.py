from bot.chat.matrix.events import (
    is_own_join,
    message_content,
    pills_to_ids,
    strip_reply_fallback,
    to_incoming,
)
from bot.chat.transport import IncomingKind, Outgoing

BOT = "@bot:example.org"
ROOM = "!r:example.org"


def event(**overrides):
    base = {
        "type": "m.room.message",
        "sender": "@anna:example.org",
        "event_id": "$e1",
        "origin_server_ts": 1_767_225_600_000,
        "content": {"msgtype": "m.text", "body": "!update hi"},
    }
    base.update(overrides)
    return base


def test_text_message_becomes_incoming():
    incoming = to_incoming(event(), ROOM, BOT)
    assert incoming.kind is IncomingKind.MESSAGE
    assert (incoming.body, incoming.sender, incoming.room_id) == (
        "!update hi",
        "@anna:example.org",
        ROOM,
    )
    assert incoming.timestamp.year == 2026


def test_ignored_events():
    assert to_incoming(event(sender=BOT), ROOM, BOT) is None
    assert to_incoming(event(content={"msgtype": "m.notice", "body": "!help"}), ROOM, BOT) is None
    assert to_incoming(event(content={"msgtype": "m.image", "body": "x.png"}), ROOM, BOT) is None
    assert to_incoming(event(type="m.room.topic"), ROOM, BOT) is None
    assert to_incoming(event(content={"msgtype": "m.text", "body": 3}), ROOM, BOT) is None


def test_edit_reads_new_content():
    content = {
        "msgtype": "m.text",
        "body": "* !update new",
        "m.new_content": {"msgtype": "m.text", "body": "!update new"},
        "m.relates_to": {"rel_type": "m.replace", "event_id": "$orig"},
    }
    incoming = to_incoming(event(content=content), ROOM, BOT)
    assert incoming.kind is IncomingKind.EDIT
    assert (incoming.body, incoming.target_event_id) == ("!update new", "$orig")


def test_redaction_old_and_new_room_versions():
    old = to_incoming(event(type="m.room.redaction", redacts="$x", content={}), ROOM, BOT)
    new = to_incoming(event(type="m.room.redaction", content={"redacts": "$y"}), ROOM, BOT)
    assert (old.kind, old.target_event_id) == (IncomingKind.REDACTION, "$x")
    assert new.target_event_id == "$y"


def test_reply_fallback_is_stripped():
    body = "> <@bo:example.org> what is new?\n> second line\n\n!update all good"
    assert strip_reply_fallback(body) == "!update all good"
    assert strip_reply_fallback("!update > not a quote") == "!update > not a quote"


def test_own_join_detected_but_not_profile_change():
    join = {"type": "m.room.member", "state_key": BOT, "content": {"membership": "join"}}
    assert is_own_join(join, BOT)
    profile = {**join, "unsigned": {"prev_content": {"membership": "join"}}}
    assert not is_own_join(profile, BOT)
    assert not is_own_join({**join, "state_key": "@anna:example.org"}, BOT)


def test_reply_content_is_notice_with_html_reply_and_empty_mentions():
    content = message_content(Outgoing(ROOM, "plain", "<p>plain</p>", reply_to="$cmd"))
    assert content["msgtype"] == "m.notice"
    assert content["format"] == "org.matrix.custom.html"
    assert content["formatted_body"] == "<p>plain</p>"
    assert content["m.relates_to"] == {"m.in_reply_to": {"event_id": "$cmd"}}
    assert content["m.mentions"] == {}
    ping = message_content(Outgoing(ROOM, "x", "x", mentions=("@anna:example.org",)))
    assert ping["m.mentions"] == {"user_ids": ["@anna:example.org"]} and "m.relates_to" not in ping


def test_mention_pills_become_user_ids():
    content = {
        "msgtype": "m.text",
        "body": "!action Bo Berg send the survey",
        "format": "org.matrix.custom.html",
        "formatted_body": '!action <a href="https://matrix.to/#/@bo:example.org">Bo Berg</a>'
        " send the survey",
    }
    incoming = to_incoming(event(content=content), ROOM, BOT)
    assert incoming.body == "!action @bo:example.org send the survey"
    assert pills_to_ids("hi Bo", '<a href="https://matrix.to/#/%40bo%3Aexample.org">Bo</a>') == (
        "hi @bo:example.org"
    )
    assert pills_to_ids("plain", None) == "plain"
