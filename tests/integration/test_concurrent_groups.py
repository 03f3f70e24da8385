"""Groups proceed side by side: one group's `!report` (seconds: its charts
are drawn in a child process) does not hold up another group's `!help`.
The real bot process, a real Synapse, members as real clients."""

from __future__ import annotations

import asyncio
import secrets
import time

from .bot_process import BotProcess, GroupSpec, render_config

# Past meetings this year, so the report has something to chart.
CADENCE = """
[groups.cadence]
start = "2026-01-09 11:00"
every = "6 weeks"
"""


async def test_one_groups_report_leaves_another_groups_help_at_its_usual_latency(
    synapse, make_member, tmp_path
):
    chair = await make_member("chair")
    anna = await make_member("anna")
    password = secrets.token_urlsafe(12)
    bot_user = await synapse.register_user(f"bot-{secrets.token_hex(3)}", password)
    reporting = await chair.create_room("ALLIES", invite=[bot_user.user_id])
    other = await anna.create_room("Other group", invite=[bot_user.user_id])
    specs = [
        GroupSpec(
            "allies", reporting, [chair.user_id], {chair.user_id: "FORTHEM"}, extra_toml=CADENCE
        ),
        GroupSpec("other", other, [anna.user_id], {anna.user_id: "CIVIS"}),
    ]
    bot = BotProcess(tmp_path, render_config(synapse.base_url, bot_user.user_id, specs), password)
    await bot.start()
    try:
        await bot.wait_for_log("sync loop running")
        await anna.ask(other, "!help")  # warm: both rooms joined and answering
        idle = []
        for _ in range(3):
            started = time.monotonic()
            await anna.ask(other, "!help")
            idle.append(time.monotonic() - started)

        report_sent = await chair.send_text(reporting, "!report")
        await asyncio.sleep(0.3)  # the report is being made now
        started = time.monotonic()
        help_reply = await anna.ask(other, "!help", timeout=30)
        busy = time.monotonic() - started
        report_reply = await chair.wait_for_reply(reporting, report_sent, timeout=60)
        report_done = time.monotonic() - started

        print(
            f"!help idle {min(idle):.3f}-{max(idle):.3f} s; during another group's !report "
            f"{busy:.3f} s; the report answered {report_done:.2f} s after that !help"
        )
        assert "!help" in help_reply["body"] or "commands" in help_reply["body"].lower()
        assert "report" in report_reply["body"].lower()
        assert busy < report_done, "the other group's !help waited for the report"
    finally:
        await bot.stop()
