"""Teams text in and out: the bot's mention cut, commands without `!`,
mentions only of the people meant, member text never a mention."""

import re
from datetime import UTC, datetime

from bot.chat.teams.ids import MessageRef, decode
from bot.chat.teams.text import Mention, command_text, teams_html
from bot.meeting.agenda import mention
from bot.meeting.render import escape, to_html
from tests.unit.fakes import CONFIG_WITH_CADENCE, make_harness

BOT = "28:bot"
BOT_MENTION = {"type": "mention", "text": "<at>ALLIES bot</at>", "mentioned": {"id": BOT}}


def test_the_bots_mention_goes_and_a_bare_command_word_gets_its_bang():
    for text in (
        "<at>ALLIES bot</at> update Our pilot",
        "<at>ALLIES bot</at>&nbsp;!update Our pilot",
    ):
        assert command_text(text, [BOT_MENTION], BOT, {}) == "!update Our pilot"
    assert command_text("update Our pilot", [], BOT, {}) == "!update Our pilot"  # personal chat


def test_teams_html_becomes_plain_text_and_other_mentions_become_ids():
    anna = {"type": "mention", "text": "<at>Anna M</at>", "mentioned": {"id": "29:anna"}}
    text = "<p><at>ALLIES bot</at> action <at>Anna M</at> send the survey &amp; report</p>"
    people = {"29:anna": "anna@uni.example"}
    assert (
        command_text(text, [BOT_MENTION, anna], BOT, people)
        == "!action anna@uni.example send the survey & report"
    )
    # someone the bot cannot place keeps the name as typed
    assert (
        command_text(text, [BOT_MENTION, anna], BOT, {})
        == "!action Anna M send the survey & report"
    )


def test_a_sentence_that_is_not_a_command_word_is_left_alone():
    assert command_text("<at>ALLIES bot</at> ¿qué tal?", [BOT_MENTION], BOT, {}) == "¿qué tal?"


def test_only_the_people_meant_are_mentioned_with_an_entity_matching_the_text():
    html = to_html(
        f"Missing: {mention('anna@uni.example', 'Anna')}, {mention('bo@uni.example', 'Bo')}"
    )
    text, entities = teams_html(html, {"anna@uni.example": Mention("29:anna", "Anna <M>")})
    assert entities == [
        {
            "type": "mention",
            "text": "<at>Anna &lt;M&gt;</at>",
            "mentioned": {"id": "29:anna", "name": "Anna <M>"},
        }
    ]
    assert "<at>Anna &lt;M&gt;</at>" in text and ">Bo<" not in text and "Bo" in text
    assert "matrix.to" not in text


def test_member_text_can_never_become_a_mention_or_reach_everyone():
    typed = "<at>ALLIES</at> @channel @team [x](https://matrix.to/#/anna@uni.example) <b>hi</b>"
    html = to_html(escape(typed))
    text, entities = teams_html(html, {"anna@uni.example": Mention("29:anna", "Anna")})
    assert entities == []
    assert "<at>" not in text and "<b>" not in text and "<a " not in text


def test_message_refs_keep_their_thread():
    ref = MessageRef("19:c@thread.tacv2;messageid=17", "abc")
    assert decode(ref.encode()) == ref
    assert ref.channel == "19:c@thread.tacv2" and ref.thread == "19:c@thread.tacv2;messageid=17"
    root = MessageRef("19:c@thread.tacv2", "18")  # a post the bot made: the root of its thread
    assert root.thread == "19:c@thread.tacv2;messageid=18"
    chat = MessageRef("19:g@thread.v2", "5")  # a group chat has no threads
    assert chat.thread == "19:g@thread.v2"
    assert decode("no-separator") is None


# The HTML Teams renders in a bot's message (textFormat "xml"), per Microsoft's
# "Format your bot messages": anything else would show as raw text or vanish.
TEAMS_TAGS = {"p", "br", "strong", "b", "em", "i", "ul", "ol", "li", "h1", "h2", "h3"}
TEAMS_TAGS |= {"pre", "code", "blockquote", "a", "hr", "at", "strike", "del"}


async def test_every_reply_uses_only_markup_teams_renders(tmp_path):
    h = await make_harness(tmp_path, CONFIG_WITH_CADENCE)
    chair, anna = "@chair:example.org", "@anna:example.org"
    h.clock = datetime(2026, 1, 9, 9, 55, tzinfo=UTC)
    script = [
        (anna, "!update Our **pilot** <b>starts</b> in June"),
        (chair, "!startmeeting"),
        (chair, "!topic Micro-credentials"),
        (chair, "!decision Go ahead"),
        (chair, f"!action {anna} draft the paper due next Friday"),
        (chair, "!minutes"),
    ]
    htmls = []
    for sender, text in script:
        htmls += [m.html for m in await h.say(sender, text)]
    for command in ("!help", "!agenda", "!updates", "!schedule", "!actions", "!next", "!outputs"):
        htmls += [m.html for m in await h.say(chair, command)]
    await h.core.storage.close()
    assert len([x for x in htmls if x]) >= 10
    for core_html in htmls:
        text, _ = teams_html(core_html, {})
        tags = {t.lower() for t in re.findall(r"</?([A-Za-z0-9]+)", text)}
        assert tags <= TEAMS_TAGS, (tags - TEAMS_TAGS, text[:300])


def test_activities_become_the_cores_events():
    from microsoft_agents.activity import Activity

    from bot.chat.teams.inbound import to_incoming
    from bot.chat.transport import IncomingKind

    base = {
        "id": "171",
        "channelId": "msteams",
        "timestamp": "2026-12-02T10:00:00Z",
        "conversation": {"id": "19:c@thread.tacv2;messageid=170", "conversationType": "channel"},
        "text": "<at>ALLIES bot</at> update Ran 3 workshops",
        "entities": [BOT_MENTION],
    }
    message = to_incoming(
        Activity.model_validate({**base, "type": "message"}), "a@uni.example", {}, BOT
    )
    assert (message.kind, message.room_id, message.body) == (
        IncomingKind.MESSAGE,
        "19:c@thread.tacv2",
        "!update Ran 3 workshops",
    )
    edit = to_incoming(
        Activity.model_validate({**base, "type": "messageUpdate"}), "a@uni.example", {}, BOT
    )
    assert edit.kind is IncomingKind.EDIT and edit.target_event_id == message.event_id
    assert edit.event_id != message.event_id
    gone = to_incoming(
        Activity.model_validate({**base, "type": "messageDelete"}), "a@uni.example", {}, BOT
    )
    assert gone.kind is IncomingKind.REDACTION and gone.target_event_id == message.event_id
    personal = {
        **base,
        "type": "message",
        "conversation": {"id": "a:1", "conversationType": "personal"},
    }
    assert to_incoming(Activity.model_validate(personal), "a@uni.example", {}, BOT).room_id == (
        "private:a@uni.example"
    )
    typing = {**base, "type": "typing"}
    assert to_incoming(Activity.model_validate(typing), "a@uni.example", {}, BOT) is None
