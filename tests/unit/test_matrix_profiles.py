"""Display names from nio's room members, reported to the core once per change."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from bot.chat.matrix.profiles import NameReporter

BOT, BO = "@bot:example.org", "@bo:example.org"


def room(**names: str | None) -> SimpleNamespace:
    users = {user: SimpleNamespace(display_name=name) for user, name in names.items()}
    return SimpleNamespace(users=users)


async def test_each_change_is_reported_once_per_room_and_failures_are_retried():
    rooms = {"!a": room(**{BO: "Bo", BOT: "bot"}), "!b": room(**{BO: "Bo (CIVIS)"})}
    client = SimpleNamespace(user_id=BOT, rooms=rooms)
    reporter = NameReporter(client, lambda: ("!a", "!b"))
    seen: list[tuple[str, str]] = []

    async def on_event(event) -> None:
        seen.append((event.room_id, event.body))

    await reporter.report(on_event)
    await reporter.report(on_event)  # nothing changed: nothing new
    assert seen == [("!a", "Bo"), ("!b", "Bo (CIVIS)")]  # not the bot itself
    rooms["!a"].users[BO].display_name = None
    await reporter.report(on_event)
    assert seen[-1] == ("!a", "")  # removed: reported as empty

    async def failing(event) -> None:
        raise RuntimeError("database locked")

    rooms["!b"].users[BO].display_name = "Bo B."
    with pytest.raises(RuntimeError):
        await reporter.report(failing)
    await reporter.report(on_event)
    assert seen[-1] == ("!b", "Bo B.")  # the failed one comes again
