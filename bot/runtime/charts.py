"""Draws the report's charts in a child process.

matplotlib (with numpy and its fonts) would add tens of megabytes to the
running bot for good after one `!report`, and drawing takes a second of CPU
that would stall the event loop. A child process pays both and exits; the
bot waits for it without blocking, and a report whose charts fail or take
too long is still posted, without them.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import sys
from dataclasses import dataclass

from bot.meeting.report.charts import ChartInput

log = logging.getLogger(__name__)
CHART_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Charts:
    png: bytes
    svgs: dict[str, str]  # HTML section name -> SVG document


async def draw_charts(data: ChartInput, timeout: float = CHART_TIMEOUT_S) -> Charts | None:
    """The charts, or None (logged) when the child process fails."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.meeting.report.charts",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(data.to_json().encode()), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        log.warning("drawing the report's charts took over %.0f s; posted without", timeout)
        return None
    if process.returncode != 0:
        tail = err.decode(errors="replace").strip().splitlines()[-1:] or ["no message"]
        log.warning("drawing the report's charts failed (%s): %s", process.returncode, tail[0])
        return None
    drawn = json.loads(out)
    png = base64.b64decode(drawn.pop("png"))
    return Charts(png, drawn)
