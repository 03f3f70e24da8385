"""The report as one self-contained HTML file: no external styles, fonts or
scripts, the charts inline as SVG, and a print style so "Print to PDF" gives
a clean document for the WP2 Board.

The text is the Markdown report rendered by markdown-it with raw HTML off
(tables on), so the HTML says exactly what the Markdown says and member text
stays inert; only the bot's own SVG is inserted as markup.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from functools import lru_cache

from markdown_it import MarkdownIt

from bot.meeting.report.figures import Report
from bot.meeting.report.markdown import report_sections

_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
_SVG_START = re.compile(r"<svg\b")
STYLE = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d1d1f;
       max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2rem;
     border-bottom: 1px solid #ccc; padding-bottom: .2rem; }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { border: 1px solid #ccc; padding: .2rem .5rem; }
td[style*="right"], th[style*="right"] { font-variant-numeric: tabular-nums; }
figure { margin: 1rem 0; } figure svg { width: 100%; height: auto; }
@media print { body { margin: 0; max-width: none; font-size: 11pt; }
  h2, table, figure { break-inside: avoid; } }
"""


@lru_cache(maxsize=32)
def section_html(markdown: str) -> str:
    """One section's HTML. Remembered: a change to the record (a closed
    action, a new update) rewrites one or two of a report's sections, and
    the web archive rebuilds the page after each; the rest are the same text."""
    return _MARKDOWN.render(markdown).strip()


def inline_svg(svg: str) -> str:
    """An SVG document as an element: no XML declaration or DOCTYPE."""
    match = _SVG_START.search(svg)
    if match is None:
        raise ValueError("not an SVG document")
    return svg[match.start() :].strip()


def report_body(report: Report, charts: Mapping[str, str] | None = None) -> str:
    """The report's sections as HTML (what the file's body and the web
    archive's report page show); `charts` maps a section name (`attendance`,
    `actions`) to an SVG document drawn for it, placed after that section."""
    charts = charts or {}
    body = []
    for name, markdown in report_sections(report):
        body.append(section_html(markdown))
        if name in charts:
            body.append(f'<figure class="chart-{name}">{inline_svg(charts[name])}</figure>')
    return "\n".join(body)


def report_html(report: Report, charts: Mapping[str, str] | None = None) -> str:
    """The whole file: the body with its own style, nothing external."""
    title = html.escape(f"Report {report.data.period.label}: {report.data.group_name}")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        + report_body(report, charts)
        + "\n</body>\n</html>\n"
    )
