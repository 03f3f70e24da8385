import io

from bot.cli.app import run_console
from bot.config import load_config
from tests.unit.fakes import CONFIG


async def test_console_runs_the_same_commands(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(CONFIG)
    config = load_config(path, require_matrix=False)
    stdin = io.StringIO("!update From the console\n/as @bo:example.org\n!updates\n!nope\n/quit\n")
    stdout = io.StringIO()
    await run_console(config, None, stdin=stdin, stdout=stdout)
    out = stdout.getvalue()
    assert "You are @chair:example.org." in out
    assert "bot> Thanks, your update for FORTHEM is recorded for " in out
    assert "You are now @bo:example.org." in out
    assert "@chair:example.org: From the console" in out
    assert "I don't know the command `!nope`" in out
    assert (tmp_path / "bot.db").exists()


async def test_the_console_runs_the_cycle_on_its_own_clock(tmp_path):
    from datetime import UTC, datetime

    from bot.cli.console_time import ConsoleClock
    from tests.unit.fakes import CONFIG_WITH_CADENCE

    path = tmp_path / "config.toml"
    path.write_text(CONFIG_WITH_CADENCE)
    config = load_config(path, require_matrix=False)
    script = [
        "/delete",
        "/time 27 March 2026 10:59",
        "/wait 2m",
        "!action me book the room due 6 April",
        "/time 3 April 2026 10:50",
        "/as @chair:example.org",
        "!startmeeting",
        "!agreed we go ahead",
        "/time 3 April 2026 14:30",
        "!minutes",
        "/time 6 April 2026 9:30",
        "/time 1 March 2026",
        "/wait 500d",
        "/wait soon",
        "/edit",
        "/frobnicate",
        "/quit",
    ]
    stdout = io.StringIO()
    start = ConsoleClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    await run_console(
        config, None, stdin=io.StringIO("\n".join(script) + "\n"), stdout=stdout, clock=start
    )
    out = stdout.getvalue()
    agenda = out.index("bot> **Agenda: ALLIES meeting, Friday 3 April 2026")
    assert out.index("It is now Friday 27 March 2026, 10:59 CET (09:59 UTC).") < agenda
    assert agenda < out.index("It is now Friday 27 March 2026, 11:01 CET")
    cycle = out[agenda : out.index("It is now Friday 3 April 2026, 10:50")]
    assert cycle.count("Updates for the ALLIES meeting on Friday 3 April 2026") == 1  # the chase
    assert "**Reminder: ALLIES meets tomorrow**" in cycle
    assert "**Reminder: ALLIES meets in 15 minutes**" in cycle
    assert "was still open 2 hours after its end, so I closed it." in out
    saved = tmp_path / "data" / "files" / "allies-minutes-2026-04-03.md"
    assert f"saved as {saved}]" in out and "## Decisions" in saved.read_text()
    assert "Due today: action #1, book the room" in out
    assert "which is in the past" in out and "At most 400 days at a time; nothing changed." in out
    assert "I could not read 'soon' as a length of time" in out
    assert "console> You (@chair:example.org) have sent nothing to delete yet." in out
    assert "console> Usage: /edit <new message>" in out
    assert "console> Usage: /help" in out
