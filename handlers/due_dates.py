"""Due dates as a chair writes them: `due <when>` and `by <when>` after an
action's task (or alone, in `!action edit`), read in the group's zone and
languages. `due` always means a date: words that are none stay in the task
with a note, a date that is past or ambiguous is an error. `by` means one
only when its words can name a day (`bot.meeting.actions.can_be_deadline`).
"""

from __future__ import annotations

from datetime import date

from bot.calendar.dates import DateParseError, Unreadable, parse_when
from bot.meeting.actions import can_be_deadline, date_only, split_by
from bot.meeting.render import escape
from bot.runtime.router import CommandContext, UsageError


def local_today(ctx: CommandContext) -> date:
    return ctx.now.astimezone(ctx.group.timezone).date()


def _unusable(exc: DateParseError) -> UsageError:
    return UsageError(f"I could not use the due date: {escape(str(exc))}")


def _due_date(ctx: CommandContext, text: str) -> date:
    return parse_when(text, ctx.group.date_settings, ctx.now).moment.date()


def parse_due(ctx: CommandContext, text: str | None) -> date | None:
    """A due date in the group's zone and languages; never silently dropped."""
    if text is None:
        return None
    try:
        return _due_date(ctx, text)
    except DateParseError as exc:
        raise _unusable(exc) from None


def task_and_due(
    ctx: CommandContext, task: str, due_words: str | None
) -> tuple[str, date | None, str]:
    """The task, its due date and a note. Words after the last `due` that are
    no date at all (`review what is due to WP2`) stay in the task, and the
    note says so; a date that is past or ambiguous is an error. With no
    `due`, a trailing `by <when>` can be the due date (`task_by`)."""
    if due_words is None:
        return task_by(ctx, task)
    try:
        return task, _due_date(ctx, due_words), ""
    except Unreadable:
        whole = f"{task} due {due_words}"  # `review what is due to WP2 by Friday`
        short, due, _ = task_by(ctx, whole)
        if due is not None:
            return short, due, ""
        note = (
            f"\n(“due {escape(due_words)}” is not a date, so it stays in the task. "
            "A due date goes last, e.g. `due 15 January`.)"
        )
        return whole, None, note
    except DateParseError as exc:
        raise _unusable(exc) from None


def task_by(ctx: CommandContext, task: str) -> tuple[str, date | None, str]:
    """`circulate the survey by 15 January` means a due date: the words after
    the last `by` are one when they can name a day (`can_be_deadline`: not
    `by 2 weeks`, `by 10%`) and read as a date. Anything else stays in the
    task (`ask WP2 by email`); the reply's "no due date" shows it. The note
    is always empty: only `due` earns one."""
    split = split_by(task)
    if split is not None and (due := _by_date(ctx, split[1])) is not None:
        return split[0], due, ""
    return task, None, ""


def new_due_alone(ctx: CommandContext, text: str) -> date | None:
    """The due date of `!action edit 3 due 22 January`: the date alone, the
    text kept. `due` must be followed by a date (else a clear error); `by`
    words that name no day (`by email`) are a new text, as anywhere."""
    found = date_only(text)
    if found is None:
        return None
    word, words = found
    return parse_due(ctx, words) if word == "due" else _by_date(ctx, words)


def _by_date(ctx: CommandContext, words: str) -> date | None:
    """The day the words after `by` name, if they can name one and read
    as a date; else None (they are part of the text)."""
    if not can_be_deadline(words):
        return None
    try:
        return _due_date(ctx, words)
    except DateParseError:
        return None
