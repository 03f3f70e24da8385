"""The group's report to WP2: what a period of meetings adds up to.

Pure, like the rest of `bot.meeting`: `data` is what the caller gathered from
storage, `figures` adds it up, `markdown` and `html` write it out, `charts`
draws it (matplotlib, imported only when a chart is drawn) and `period` reads
the period a chair asked for. `bot.runtime.report_data` is the one place that
reads storage for it.
"""
