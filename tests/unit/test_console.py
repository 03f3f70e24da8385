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
