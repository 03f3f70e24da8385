"""The report's two charts: attendance (alliance x meeting) and action items
opened vs closed per month, as PNG for chat and SVG for the HTML file.

matplotlib is imported inside `draw` only, and the running bot calls this
module in a child process (`python -m bot.meeting.report.charts`, JSON in,
JSON out; see `bot.runtime.charts`): a report is made a few times a year,
and the bot should not carry matplotlib's tens of megabytes the rest of the
time. Figures are built with `matplotlib.figure.Figure`, never pyplot, so no
global state is touched; SVG output is made repeatable (fixed hash salt, no
date) so the same report gives the same file.
"""

from __future__ import annotations

import base64
import io
import json
import sys
from dataclasses import asdict, dataclass

from bot.meeting.report.figures import EXCUSED, PRESENT, Report

COLOURS = ("#e6e6e6", "#f2c14e", "#2e8b57")  # absent, apologies, present
MAX_WIDTH_IN = 14.0
# Tick and legend labels: 9 pt stays readable on a printed A4 page, where the
# chart is scaled to the text width.
LABEL_POINTS = 9


@dataclass(frozen=True)
class ChartInput:
    """Everything the charts need, as JSON-friendly values."""

    title: str
    alliances: list[str]
    meetings: list[str]
    grid: list[list[int]]
    months: list[str]
    opened: list[int]
    closed: list[int]

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ChartInput:
        return cls(**json.loads(text))


def chart_input(report: Report) -> ChartInput:
    return ChartInput(
        title=f"{report.data.group_name}, {report.data.period.label}",
        alliances=[a.alliance for a in report.attendance],
        meetings=[f"{m.day.day} {m.day:%b %y}" for m in report.held],
        grid=[list(row) for row in report.grid],
        months=[m.month for m in report.actions_by_month],
        opened=[m.opened for m in report.actions_by_month],
        closed=[m.closed for m in report.actions_by_month],
    )


def _attendance(figure, axes, data: ChartInput) -> None:
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    if not data.meetings or not data.alliances:
        axes.text(0.5, 0.5, "No meeting held in the period", ha="center", va="center")
        axes.set_axis_off()
        return
    axes.imshow(
        data.grid,
        cmap=ListedColormap(COLOURS),
        vmin=0,
        vmax=2,
        aspect="auto",
        interpolation="nearest",
    )
    axes.set_yticks(range(len(data.alliances)), data.alliances, fontsize=LABEL_POINTS)
    axes.set_xticks(range(len(data.meetings)), data.meetings, rotation=90, fontsize=LABEL_POINTS)
    axes.set_title("Attendance by alliance")
    legend = [
        Patch(color=COLOURS[PRESENT], label="present"),
        Patch(color=COLOURS[EXCUSED], label="apologies"),
        Patch(color=COLOURS[0], label="absent"),
    ]
    axes.legend(handles=legend, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=LABEL_POINTS)


def _actions(axes, data: ChartInput) -> None:
    positions = range(len(data.months))
    axes.bar([p - 0.2 for p in positions], data.opened, width=0.4, label="opened", color="#4c72b0")
    axes.bar([p + 0.2 for p in positions], data.closed, width=0.4, label="closed", color="#55a868")
    step = max(1, len(data.months) // 18)
    axes.set_xticks(
        list(positions)[::step], data.months[::step], rotation=90, fontsize=LABEL_POINTS
    )
    from matplotlib.ticker import MaxNLocator

    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylabel("action items")
    axes.set_title("Action items opened and closed per month")
    axes.legend(fontsize=LABEL_POINTS)


def _sizes(data: ChartInput) -> tuple[float, float, float]:
    width = min(MAX_WIDTH_IN, max(6.0, 2.5 + 0.3 * len(data.meetings)))
    heat = max(2.5, 1.5 + 0.2 * len(data.alliances))  # a 9 pt label per alliance row
    return width, heat, 3.2


def draw(data: ChartInput, fmt: str, which: str) -> bytes:
    """`which`: `attendance`, `actions` or `both` (stacked, for the chat image)."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    width, heat, bars = _sizes(data)
    heights = {"attendance": [heat], "actions": [bars], "both": [heat, bars]}[which]
    # text.parse_math off: "$" in an alliance or group name is a dollar, not a formula
    settings = {"svg.hashsalt": "allies-bot", "svg.fonttype": "none", "text.parse_math": False}
    with rc_context(settings):
        figure = Figure(figsize=(width, sum(heights) + 0.6), layout="constrained")
        axes = figure.subplots(len(heights), 1, squeeze=False, height_ratios=heights)[:, 0]
        if which in ("attendance", "both"):
            _attendance(figure, axes[0], data)
        if which in ("actions", "both"):
            _actions(axes[-1], data)
        if which == "both":
            figure.suptitle(data.title)
        buffer = io.BytesIO()
        metadata = {"Date": None} if fmt == "svg" else {"Software": None}
        figure.savefig(buffer, format=fmt, dpi=100, metadata=metadata)
    return buffer.getvalue()


def draw_all(data: ChartInput) -> dict[str, str]:
    """The chat image (base64 PNG) and one SVG per HTML section."""
    return {
        "png": base64.b64encode(draw(data, "png", "both")).decode(),
        "attendance": draw(data, "svg", "attendance").decode(),
        "actions": draw(data, "svg", "actions").decode(),
    }


if __name__ == "__main__":  # the bot's child process: ChartInput JSON in, charts JSON out
    sys.stdout.write(json.dumps(draw_all(ChartInput.from_json(sys.stdin.read()))))
