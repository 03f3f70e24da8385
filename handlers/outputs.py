"""Outputs: `!output add`, `!outputs`, `!output <id> <status> [note]`, `!output <id> link <url>`.

Members add outputs and own what they add; the owner, chairs and vice-chairs
move them on, chairs and vice-chairs back (with a note), only chairs drop one
(`bot.meeting.outputs.check_move` decides). Every step is stored with who and
when; a refused change stores nothing.
"""

from __future__ import annotations

import re

from bot.meeting.outputs import (
    FINISHED,
    STATUSES,
    Mover,
    NotAllowed,
    check_move,
    check_status,
    one_line,
    output_line,
    owner_of,
    parse_add,
    status_sentence,
)
from bot.meeting.owners import AmbiguousOwner
from bot.meeting.render import escape
from bot.runtime.router import (
    CommandContext,
    Phase,
    Refusal,
    Reply,
    Role,
    Router,
    UsageError,
    number_arg,
)
from handlers.actions import roster_people
from handlers.due_dates import local_today, parse_due
from storage.repo_outputs import StoredOutput

MAX_NOTE_CHARS = 500
URL_RE = re.compile(r"^https?://[^\s<>\"]{1,2000}$")


async def _numbered(ctx: CommandContext, text: str) -> StoredOutput:
    """The output a change is about; who may change it is the rules' business."""
    number = number_arg(text)
    if number is None:
        raise UsageError("Give the output's number, as `!outputs` shows it.")
    output = await ctx.repo.output(ctx.group.id, number)
    if output is None:
        raise UsageError(f"There is no output #{number}. See `!outputs all`.")
    return output


def _mover(ctx: CommandContext, output: StoredOutput) -> Mover:
    """The sender in the terms of the outputs' rules."""
    return Mover(
        chair=ctx.role >= Role.CHAIR,
        vice_chair=ctx.role >= Role.VICE_CHAIR,
        owner=ctx.sender == owner_of(output),
    )


def register(router: Router) -> None:
    @router.command(
        "output add",
        role=Role.MEMBER,
        usage="!output add <kind> <title> [due <when>] [owner <who>]",
        summary="record a planned output",
        phase=Phase.RECORD,
        topic="record, list or move on the group's outputs",
        example="!output add position-paper Micro-credentials in alliances due 30 June",
    )
    async def output_add(ctx: CommandContext) -> Reply:
        try:
            draft = parse_add(ctx.args, await roster_people(ctx))
        except AmbiguousOwner as exc:
            raise Refusal(str(exc)) from None
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        due = parse_due(ctx, draft.due_text)
        stored = await ctx.repo.add_output(
            group_id=ctx.group.id,
            kind=draft.kind,
            title=draft.title,
            due=due,
            owner=draft.owner,
            created_by=ctx.sender,
            event_id=ctx.event_id,
            now=ctx.now,
        )
        line = output_line(stored, await ctx.names(), local_today(ctx))
        return Reply(f"Output {line}. Move it on with `!output {stored.id} drafting`.")

    @router.command(
        "outputs",
        role=Role.MEMBER,
        usage="!outputs [all]",
        summary="outputs under way (`all`: finished ones too)",
        phase=Phase.RECORD,
        topic="record, list or move on the group's outputs",
        example="!outputs all",
    )
    async def outputs(ctx: CommandContext) -> Reply:
        every = ctx.args.strip().lower() == "all"
        if ctx.args.strip() and not every:
            raise UsageError("Did you mean `!outputs all`?")
        items = [
            o for o in await ctx.repo.outputs(ctx.group.id) if every or o.status not in FINISHED
        ]
        if not items:
            return Reply("No outputs yet. Add one with `!output add <kind> <title>`.")
        names, today = await ctx.names(), local_today(ctx)
        lines = "\n".join(f"- {output_line(o, names, today)}" for o in items)
        return Reply(f"**Outputs** ({len(items)})\n\n{lines}")

    @router.command(
        "output",
        role=Role.MEMBER,
        usage=f"!output <id> <{'|'.join(STATUSES)}> [note]  or  !output <id> link <url>",
        summary="record an output and move it on",
        phase=Phase.RECORD,
        topic="record, list or move on the group's outputs",
        example="!output 3 consultation sent to the Forum Board",
    )
    async def output_change(ctx: CommandContext) -> Reply:
        number, _, rest = ctx.args.strip().partition(" ")
        word, _, note = rest.strip().partition(" ")
        if not word:
            raise UsageError("Give the output's number and its new status (or `link <url>`).")
        output = await _numbered(ctx, number)
        if word.lower() == "link":
            return await _set_link(ctx, output, note.strip())
        return await _move(ctx, output, word, note)


async def _move(ctx: CommandContext, output: StoredOutput, word: str, note: str) -> Reply:
    """Every check before the one write, so a refused move stores nothing."""
    if len(note) > MAX_NOTE_CHARS:
        raise UsageError(f"Notes are at most {MAX_NOTE_CHARS} characters.")
    note = one_line(note)
    try:
        move = check_move(output.id, output.status, check_status(word), note, _mover(ctx, output))
    except NotAllowed as exc:
        raise Refusal(str(exc)) from None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if move.way != "same":
        await ctx.repo.change_output(
            output.id,
            by=ctx.sender,
            event_id=ctx.event_id,
            now=ctx.now,
            status=move.wanted,
            note=note,
        )
    return Reply(status_sentence(move, note))


async def _set_link(ctx: CommandContext, output: StoredOutput, url: str) -> Reply:
    """The document's address; whoever may move the output on may attach it."""
    if not _mover(ctx, output).may_edit:
        raise Refusal(
            f"Only the owner of output #{output.id}, the chairs or vice-chairs attach its link."
        )
    if not URL_RE.match(url):
        raise UsageError("Give a web address starting with https:// (or http://).")
    await ctx.repo.change_output(
        output.id, by=ctx.sender, event_id=ctx.event_id, now=ctx.now, link=url
    )
    return Reply(f"Output #{output.id} now links to {escape(url)}.")
