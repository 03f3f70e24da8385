"""Privacy through the real core, router, handlers and SQLite storage:
`!privacy`, `!mydata` (sent privately, matching what is stored),
`!forget me [confirm]` leaving no trace of the person in any table while the
group's record still reads and counts right, the operator's export and
erase, and the retention that ages out old items but keeps the counts."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import String, Text, select

from bot.chat.transport import private_to
from storage import models
from tests.unit.fakes import CONFIG_WITH_CADENCE, ROOM, make_harness

ANNA, BO, CHAIR = (f"@{n}:example.org" for n in ("anna", "bo", "chair"))
NAMED = CONFIG_WITH_CADENCE.replace(
    'user = "@anna:example.org"\nalliance = "FORTHEM"',
    'user = "@anna:example.org"\nalliance = "FORTHEM"\nname = "Anna-Lena Quokka"',
)
PRIVACY = '\n[privacy]\ncontact = "dpo@uni.example"\nretention = "2y"\n'


@pytest.fixture
async def h(tmp_path):
    harness = await make_harness(tmp_path, PRIVACY + NAMED)
    yield harness
    await harness.core.storage.close()


async def anna_takes_part(h) -> None:
    """Anna sends updates, proposes an item, attends, owns an action and an output."""
    await h.say_at(datetime(2026, 1, 5, 9, tzinfo=UTC), ANNA, "!update FORTHEM pilots")
    await h.say_at(datetime(2026, 1, 5, 9, 5, tzinfo=UTC), ANNA, "!agenda add Quokka survey")
    await h.say_at(datetime(2026, 1, 9, 9, 55, tzinfo=UTC), CHAIR, "!startmeeting")
    await h.say_at(datetime(2026, 1, 9, 10, 1, tzinfo=UTC), ANNA, "!here")
    await h.say_at(datetime(2026, 1, 9, 10, 2, tzinfo=UTC), BO, "!here")
    await h.say_at(datetime(2026, 1, 9, 10, 3, tzinfo=UTC), ANNA, "!info Quokka data is in")
    await h.say_at(datetime(2026, 1, 9, 10, 4, tzinfo=UTC), CHAIR, "!decision Go ahead")
    await h.say_at(datetime(2026, 1, 9, 10, 5, tzinfo=UTC), CHAIR, f"!action {ANNA},{BO} draft it")
    await h.say_at(
        datetime(2026, 1, 9, 10, 6, tzinfo=UTC), ANNA, "!output add guideline G owner anna"
    )
    await h.say_at(datetime(2026, 1, 9, 10, 40, tzinfo=UTC), CHAIR, "!minutes")
    await h.say_at(datetime(2026, 1, 9, 10, 50, tzinfo=UTC), CHAIR, "!endmeeting")
    await h.say_at(datetime(2026, 1, 20, 9, tzinfo=UTC), ANNA, "!quiet")


async def every_text(h) -> list[tuple[str, str, str]]:
    """(table, column, value) for every text and string value in the database."""
    found = []
    async with h.core.storage.transaction() as repo:
        for model in vars(models).values():
            table = getattr(model, "__table__", None)
            if table is None:
                continue
            for column in table.columns:
                if isinstance(column.type, String | Text):
                    for value in await repo.session.scalars(select(column)):
                        if value:
                            found.append((table.name, column.name, value))
                if column.name in ("file_data", "raw"):
                    for value in await repo.session.scalars(select(column)):
                        if value:
                            found.append((table.name, column.name, value.decode(errors="replace")))
    return found


def traces(texts, *needles) -> list:
    return [(t, c, v[:80]) for t, c, v in texts if any(n in v for n in needles)]


async def test_privacy_tells_what_is_kept_and_whom_to_ask(h):
    [notice] = await h.say("@guest:elsewhere.org", "!privacy")
    assert "kept for two years, then aged out" in notice.body
    assert "dpo@uni.example" in notice.body and notice.body.count("`!mydata`") == 1


async def test_mydata_arrives_privately_and_matches_what_is_stored(h):
    await anna_takes_part(h)
    replies = await h.say_at(datetime(2026, 2, 1, 9, tzinfo=UTC), ANNA, "!mydata")
    in_room = [r for r in replies if r.room_id == ROOM]
    private = [r for r in replies if r.room_id == private_to(ANNA)]
    assert len(in_room) == 1 and "privately" in in_room[0].body
    summary, file = private
    assert "FORTHEM" in summary.body and "- 1 update\n" in summary.body
    data = json.loads(file.file.data)
    stored = data["stored"]
    assert [u["text"] for u in stored["updates"]] == ["FORTHEM pilots"]
    assert [i["text"] for i in stored["agenda_items"]] == ["Quokka survey"]
    kinds = sorted(n["kind"] for n in stored["meeting_notes"])
    assert kinds == ["here", "info"]
    assert [a["text"] for a in stored["action_items"]] == ["draft it"]
    assert (
        data["names"] == ["Anna-Lena Quokka"]
        and "ALLIES: member for FORTHEM" in data["in_the_config"]
    )
    assert all(ANNA not in r.body for r in in_room)  # nothing about her in the room


async def test_forget_me_asks_first_then_leaves_no_trace(h):
    await anna_takes_part(h)
    await h.say_at(datetime(2026, 2, 1, 9, tzinfo=UTC), ANNA, "!mydata")
    [asked] = await h.say_at(datetime(2026, 2, 2, 9, tzinfo=UTC), ANNA, "!forget me")
    assert "!forget me confirm" in asked.body
    assert traces(await every_text(h), ANNA, "Anna-Lena Quokka")  # nothing erased yet
    [done] = await h.say_at(datetime(2026, 2, 2, 9, 1, tzinfo=UTC), ANNA, "!forget me confirm")
    assert done.body.startswith(
        "Done. I deleted 1 update, 1 note or apology, 1 proposed agenda item, "
    )
    assert "you are now “a former member (FORTHEM)”, so its figures do not change." in done.body
    assert traces(await every_text(h), ANNA, "Anna-Lena Quokka", "Quokka") == []
    # the group's record still reads: Bo's attendance, the decision, the action, the output
    [actions] = await h.say_at(datetime(2026, 2, 3, 9, tzinfo=UTC), BO, "!actions")
    assert "draft it" in actions.body and "a former member (FORTHEM)" in actions.body
    [outputs] = await h.say(BO, "!outputs")
    assert "a former member (FORTHEM)" in outputs.body
    async with h.core.storage.transaction() as repo:
        notes = await repo.notes_for("allies", "2026-01-09T11:00")
    # the chair (present by starting it), Anna (now anonymous) and Bo: still three people
    assert sorted(n.kind for n in notes) == ["decision", "here", "here", "here"]
    assert len({n.author for n in notes}) == 3 and BO in {n.author for n in notes}


async def anna_was_mailed(h) -> None:
    """A chase mail to Anna (queued, so its body is still stored) and its tokens."""
    now = datetime(2026, 1, 30, 9, tzinfo=UTC)
    async with h.core.storage.transaction() as repo:
        await repo.enqueue_mail(
            message_id="<m1@example.org>",
            group_id="allies",
            kind="chase",
            recipient="anna@forthem.example",
            user_id=ANNA,
            raw=b"To: anna@forthem.example\r\n\r\nDear Anna-Lena Quokka,",
            now=now,
        )
        for purpose in ("reply", "optout"):
            await repo.add_mail_token(
                token_hash=f"hash-{purpose}",
                purpose=purpose,
                group_id="allies",
                user_id=ANNA,
                meeting_key="2026-02-13T11:00",
                expires_at=datetime(2026, 2, 13, 11, tzinfo=UTC),
                now=now,
            )


async def test_mydata_and_forget_me_cover_mails_and_their_links(h):
    await anna_was_mailed(h)
    replies = await h.say_at(datetime(2026, 2, 1, 9, tzinfo=UTC), ANNA, "!mydata")
    summary = next(r for r in replies if r.room_id == private_to(ANNA) and not r.file)
    assert "1 mail of the bot to you" in summary.body
    assert "2 reply and opt-out links in mails to you" in summary.body
    await h.say_at(datetime(2026, 2, 2, 9, tzinfo=UTC), ANNA, "!forget me")
    [done] = await h.say_at(datetime(2026, 2, 2, 9, 1, tzinfo=UTC), ANNA, "!forget me confirm")
    assert "1 record of a mail to you" in done.body and "2 reply and opt-out links" in done.body
    needles = (ANNA, "anna@forthem.example", "Anna-Lena Quokka")
    assert traces(await every_text(h), *needles) == []


async def test_forget_refuses_anything_but_me(h):
    for text in ("!forget", "!forget bo", "!forget me now", "!forget me confirm please"):
        [reply] = await h.say(ANNA, text)
        assert reply.body == "To erase what I store about you, write `!forget me`."


async def report_figures(h, now: datetime):
    """What the report to WP2 says of 2026: the counts erasure and retention keep."""
    from bot.meeting.report.data import Period
    from bot.meeting.report.figures import compile_report
    from bot.runtime.report_data import gather_report

    period = Period(datetime(2026, 1, 1).date(), datetime(2026, 12, 31).date())
    async with h.core.storage.transaction() as repo:
        report = compile_report(await gather_report(repo, h.config.groups[0], period, now))
    attendance = {a.alliance: (a.attended, a.updates) for a in report.attendance}
    people = [len(m.present) for m in report.held]
    return attendance, people, len(report.data.decisions), report.actions


async def test_retention_ages_out_but_keeps_the_counts(h):
    await anna_takes_part(h)
    await h.say_at(datetime(2026, 1, 21, 9, tzinfo=UTC), ANNA, "!mydata")  # a private copy, too
    before = await report_figures(h, datetime(2026, 6, 1, tzinfo=UTC))
    assert before[0] == {"CIVIS": (1, 0), "FORTHEM": (1, 1)} and before[1] == [3]
    from bot.runtime.privacy import RetentionJob

    h.clock = datetime(2028, 2, 1, 9, tzinfo=UTC)  # more than 2y after January 2026
    job = RetentionJob(h.core)
    done = await job.purge(h.config.groups[0].id)
    assert done["updates' texts emptied"] == 1 and done["ids replaced"] >= 5
    texts = await every_text(h)
    left = traces(texts, ANNA, BO, CHAIR, "Quokka", "FORTHEM pilots")
    # what is current stays: the open action item's owners, Anna's `!quiet` choice
    assert sorted((t, c) for t, c, _ in left) == [
        ("action_items", "owners"),
        ("quiet_members", "user_id"),
    ]
    assert await report_figures(h, datetime(2026, 6, 1, tzinfo=UTC)) == before
    assert (await job.purge(h.config.groups[0].id)) == {}  # nothing left to age out


async def test_erasure_keeps_the_reports_counts_of_people(h):
    await anna_takes_part(h)
    (_, people, decisions, actions) = await report_figures(h, datetime(2026, 6, 1, tzinfo=UTC))
    await h.say_at(datetime(2026, 2, 2, 9, tzinfo=UTC), CHAIR, "!forget me confirm")
    after = await report_figures(h, datetime(2026, 6, 1, tzinfo=UTC))
    assert after[1] == people == [3] and after[2] == decisions and after[3] == actions
    assert traces(await every_text(h), CHAIR) == []


async def test_erasure_keeps_each_persons_alliance_in_counts_and_minutes(h):
    await anna_takes_part(h)
    before = await report_figures(h, datetime(2026, 6, 1, tzinfo=UTC))
    for who in (ANNA, BO):
        await h.say_at(datetime(2026, 2, 2, 9, tzinfo=UTC), who, "!forget me confirm")
    assert await report_figures(h, datetime(2026, 6, 1, tzinfo=UTC)) == before
    assert before[0]["CIVIS"][0] == 1  # Bo's alliance still attended
    replies = await h.say_at(datetime(2026, 2, 3, 9, tzinfo=UTC), CHAIR, "!minutes 9 January")
    [minutes] = [r.body for r in replies if "## Present" in r.body]
    present = minutes.split("## Present")[1].split("## Apologies")[0]
    assert "2 alliances represented; 3 people." in present
    assert "- **CIVIS**: a former member\n" in present and "a former member (" not in present
    assert "Guests" not in present


async def test_a_member_without_a_name_is_found_in_escaped_minutes_too(h):
    await anna_takes_part(h)
    texts = await every_text(h)
    assert traces(texts, "@bo:example\\.org")  # the minutes hold the escaped id
    await h.say_at(datetime(2026, 2, 2, 9, tzinfo=UTC), BO, "!forget me confirm")
    assert traces(await every_text(h), BO, "@bo:example\\.org") == []


async def test_a_display_name_of_wildcards_erases_nobody_else(h):
    await anna_takes_part(h)
    guest = "@guest:elsewhere.org"
    async with h.core.storage.transaction() as repo:
        await repo.remember_display_name(guest, "%_%", h.clock)
    before = await every_text(h)
    [done] = await h.say_at(datetime(2026, 2, 2, 9, tzinfo=UTC), guest, "!forget me confirm")
    assert done.body.startswith("Done. ")
    after = await every_text(h)
    theirs = {guest, "%_%"}  # their id and their display name: gone, as they asked
    lost = [row for row in before if row not in after and row[2] not in theirs]
    assert lost == []


async def test_plain_name_owners_are_replaced_too(h):
    guest = "@guest:elsewhere.org"
    await h.say(CHAIR, "!action guest,Bo prepare the survey")
    await h.say(guest, "!forget me confirm")
    async with h.core.storage.transaction() as repo:
        [action] = await repo.actions("allies")
    assert action.owners[0].startswith("former-member:") and action.owners[1:] == (BO,)


async def test_the_operator_exports_and_erases_from_the_shell(h, tmp_path, capsys):
    import asyncio

    from bot.cli.main import main

    await anna_takes_part(h)
    args = ["privacy", "--config", str(h.config.path), "--user", ANNA]
    out = tmp_path / "anna.json"
    assert await asyncio.to_thread(main, ["privacy", "export", *args[1:], "--out", str(out)]) == 0
    assert json.loads(out.read_text())["stored"]["updates"][0]["text"] == "FORTHEM pilots"
    assert await asyncio.to_thread(main, ["privacy", "erase", *args[1:]]) == 2
    assert "add --confirm" in capsys.readouterr().err
    assert await asyncio.to_thread(main, ["privacy", "erase", *args[1:], "--confirm"]) == 0
    assert "updates deleted: 1" in capsys.readouterr().out
    assert traces(await every_text(h), ANNA, "Anna-Lena Quokka") == []
    assert await asyncio.to_thread(main, ["privacy", "export", *args[1:-1], "anna"]) == 2
    assert "is not a user id" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        (
            '[privacy]\nretention = "3 lightyears"\n',
            "privacy.retention: '3 lightyears' is not a span",
        ),
        ('[privacy]\nretention = "10d"\n', "privacy.retention: '10d' is under a month"),
        ("[privacy]\nretention = 3\n", "privacy.retention: must be a span"),
        ('[privacy]\nkontakt = "x"\n', "privacy.kontakt: unknown key"),
    ],
)
def test_bad_privacy_keys_are_named(tmp_path, extra, problem):
    from bot.config import ConfigError, load_config
    from tests.unit.test_config import write

    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, extra + CONFIG_WITH_CADENCE), require_matrix=False)
    assert any(p.startswith(problem) for p in caught.value.problems), caught.value.problems


def test_a_group_keeps_its_own_retention(tmp_path):
    from bot.config import load_config
    from tests.unit.test_config import write

    text = PRIVACY + CONFIG_WITH_CADENCE.replace(
        'name = "ALLIES"', 'name = "ALLIES"\nretention = "off"'
    )
    config = load_config(write(tmp_path, text), require_matrix=False)
    assert config.privacy.retention.text == "2y"
    assert config.groups[0].privacy.retention.span is None
    assert config.groups[0].privacy.contact == "dpo@uni.example"
