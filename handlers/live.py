"""Live meetings, MeetBot style: `!startmeeting`, `!topic`, `!info`,
`!decision` (`!agreed`), `!here`, `!apologies`, `!undo`, `!endmeeting`.

Recorded items are acknowledged with a reaction, not a wall of replies.
"""

from __future__ import annotations

from dataclasses import replace

from bot.calendar.cadence import Meeting
from bot.meeting.agenda import describe_meeting
from bot.meeting.group_calendar import OPEN_PERIOD
from bot.meeting.live import local_key, meeting_to_start, session_meeting
from bot.meeting.record import (
    Item,
    MeetingFacts,
    MeetingStatus,
    NoteKind,
    meeting_for,
    present,
    was_ended,
)
from bot.meeting.render import escape, plural
from bot.runtime.calendars import load_calendar
from bot.runtime.router import CommandContext, Phase, Reply, Role, Router, UsageError
from storage.repo_meetings import StoredSession

RECORDED = "✅"
MAX_NOTE_CHARS = 2000
NOTE_WORDS = {
    NoteKind.TOPIC: "topic",
    NoteKind.INFO: "note",
    NoteKind.DECISION: "decision",
    NoteKind.APOLOGY: "apologies",
}
NO_MEETING = "No meeting is running. A chair or vice-chair starts one with `!startmeeting`."


async def _open_session(ctx: CommandContext) -> StoredSession:
    session = await ctx.repo.open_session(ctx.group.id)
    if session is None:
        raise UsageError(NO_MEETING)
    return session


async def target_meeting_key(ctx: CommandContext, item: Item = Item.NOTE) -> str:
    """The meeting `item` belongs to now (the rule: `bot.meeting.record`)."""
    [key] = await target_meeting_keys(ctx, item)
    return key


async def target_meeting_keys(ctx: CommandContext, *items: Item) -> list[str]:
    """The meetings these items belong to now, from one read of the record."""
    session = await ctx.repo.last_session(ctx.group.id)
    calendar = await load_calendar(ctx.repo, ctx.group)
    return [meeting_for(item, session, calendar, ctx.now) for item in items]


async def record(ctx: CommandContext, kind: NoteKind, *, key: str | None = None) -> Reply:
    """Store a note for the meeting (live, else the one it belongs to)."""
    if kind not in (NoteKind.HERE, NoteKind.APOLOGY) and not ctx.args:
        raise UsageError("Please add the text.")
    if len(ctx.args) > MAX_NOTE_CHARS:
        raise UsageError(
            f"That is {len(ctx.args):,} characters; notes are at most "
            f"{MAX_NOTE_CHARS:,}. Please split it."
        )
    await ctx.repo.add_note(
        group_id=ctx.group.id,
        meeting_key=key or await target_meeting_key(ctx),
        kind=kind,
        text=ctx.args,
        author=ctx.sender,
        event_id=ctx.event_id,
        now=ctx.now,
    )
    return Reply("", react=RECORDED)


async def _started_again(ctx: CommandContext, last: StoredSession | None, meeting_key: str) -> str:
    """What a chair should know when the meeting they start had already
    been ended (a second `!startmeeting`): when it ended, and that its
    minutes, if posted, are updated by the next `!minutes`. Empty if not."""
    if not was_ended(last, meeting_key):
        return ""
    assert last is not None and last.ended_at is not None  # what `was_ended` checked
    ended = last.ended_at.astimezone(ctx.group.timezone)
    said = f" It had been ended at {ended:%H:%M}; what was recorded then stays with it."
    if await ctx.repo.minutes_post(ctx.group.id, meeting_key) is not None:
        said += " The minutes already posted are updated by the next `!minutes`."
    return said


def _not_the_scheduled_one(scheduled: Meeting | None) -> str:
    """For an ad-hoc meeting: a chair a day early should know it is not the
    scheduled one, and how that one is started."""
    if scheduled is None:
        return ""
    return (
        f" The next scheduled meeting is {describe_meeting(scheduled)}: "
        "`!startmeeting` from an hour before it starts that one."
    )


def register(router: Router) -> None:
    @router.command(
        "startmeeting",
        role=Role.VICE_CHAIR,
        usage="!startmeeting",
        summary="start the meeting: notes are recorded until `!endmeeting`",
        phase=Phase.DURING,
        topic="start and end the meeting",
    )
    async def start(ctx: CommandContext) -> Reply:
        last = await ctx.repo.last_session(ctx.group.id)
        if last is not None and last.ended_at is None:
            raise UsageError("A meeting is already running; `!endmeeting` ends it first.")
        calendar = await load_calendar(ctx.repo, ctx.group)
        meeting = meeting_to_start(calendar, ctx.now)
        again = await _started_again(ctx, last, meeting.key)
        if calendar.cadence is None:  # no calendar: the updates collected so far are for this one
            await ctx.repo.move_updates(ctx.group.id, OPEN_PERIOD, meeting.key)
        await ctx.repo.start_session(
            group_id=ctx.group.id,
            meeting_key=meeting.key,
            start_local=local_key(meeting.start),
            end_local=local_key(meeting.end),
            started_by=ctx.sender,
            now=ctx.now,
            closes_at=meeting.end + ctx.group.schedule.auto_close,
        )
        await ctx.repo.add_note(
            group_id=ctx.group.id,
            meeting_key=meeting.key,
            kind=NoteKind.HERE,
            text="",
            author=ctx.sender,
            event_id=ctx.event_id,
            now=ctx.now,
        )
        adhoc = meeting.status == MeetingStatus.ADHOC
        kind = "ad-hoc meeting" if adhoc else "meeting"
        started = "Meeting started again" if again else "Meeting started"
        notes = again + (_not_the_scheduled_one(calendar.next(ctx.now)) if adhoc else "")
        return Reply(
            f"**{started}:** {ctx.group.name} {kind}, {describe_meeting(meeting)}.{notes}\n\n"
            "Record with `!topic`, `!info`, `!decision`, `!action`; say `!here` to be listed "
            "as present. `!endmeeting` ends it, `!minutes` posts the minutes."
        )

    @router.command(
        "endmeeting",
        role=Role.VICE_CHAIR,
        usage="!endmeeting",
        summary="end the running meeting",
        phase=Phase.DURING,
        topic="start and end the meeting",
    )
    async def end(ctx: CommandContext) -> Reply:
        session = await _open_session(ctx)
        await ctx.repo.end_session(session.id, ctx.sender, ctx.now)
        ended = replace(session, ended_at=ctx.now)
        notes = await ctx.repo.notes_for(ctx.group.id, session.meeting_key)
        actions = [
            a
            for a in await ctx.repo.actions_created_in(ctx.group.id, session.meeting_key)
            if a.status != "removed"
        ]
        meeting = session_meeting(session, ctx.group.timezone)
        facts = MeetingFacts(meeting, ended, notes, actions)
        began = session.started_at or meeting.start
        opened = [a for a in actions if a.created_at >= began]
        decided = [n for n in notes if n.kind == NoteKind.DECISION and n.created_at >= began]
        zone = ctx.group.timezone
        ran = f"{began.astimezone(zone):%H:%M}–{ctx.now.astimezone(zone):%H:%M}"
        return Reply(
            f"**Meeting ended:** {ctx.group.name}, {meeting.start:%A} {meeting.start.day} "
            f"{meeting.start:%B %Y}, ran {ran} {ctx.now.astimezone(zone).tzname()}: "
            f"{len(present(facts))} present, {plural(len(decided), 'decision')}, "
            f"{plural(len(opened), 'action item')} opened. `!minutes` posts the minutes."
        )

    @router.command(
        "topic",
        role=Role.VICE_CHAIR,
        usage="!topic <text>",
        summary="start a new topic in the running meeting",
        phase=Phase.DURING,
        topic="a new topic, a note, a decision",
        example="!topic Sub-group reports",
    )
    async def topic(ctx: CommandContext) -> Reply:
        return await record(ctx, NoteKind.TOPIC, key=(await _open_session(ctx)).meeting_key)

    @router.command(
        "info",
        role=Role.MEMBER,
        usage="!info <text>",
        summary="add a note to the current topic",
        phase=Phase.DURING,
        topic="a new topic, a note, a decision",
        example="!info The questionnaire closes on 15 January.",
    )
    async def info(ctx: CommandContext) -> Reply:
        return await record(ctx, NoteKind.INFO)

    router.command(
        "agreed",
        role=Role.VICE_CHAIR,
        usage="!agreed <text>",
        summary="record a decision",
        phase=Phase.DURING,
        topic="a new topic, a note, a decision",
        example="!agreed The position paper goes to the Forum Board.",
        aliases=("decision",),
    )(decision)

    @router.command(
        "here",
        role=Role.MEMBER,
        usage="!here",
        summary="say you are present",
        phase=Phase.DURING,
    )
    async def here(ctx: CommandContext) -> Reply:
        return await record(ctx, NoteKind.HERE, key=(await _open_session(ctx)).meeting_key)

    @router.command(
        "apologies",
        role=Role.MEMBER,
        usage="!apologies [text]",
        summary="send your apologies",
        phase=Phase.BEFORE,
        example="!apologies travelling to Brussels that day",
    )
    async def apologies(ctx: CommandContext) -> Reply:
        key = await target_meeting_key(ctx, Item.APOLOGY)
        return await record(ctx, NoteKind.APOLOGY, key=key)

    @router.command(
        "undo",
        role=Role.MEMBER,
        usage="!undo",
        summary="remove the last item you recorded (chairs: anyone's)",
        phase=Phase.DURING,
    )
    async def undo(ctx: CommandContext) -> Reply:
        return await undo_last(ctx)


async def decision(ctx: CommandContext) -> Reply:
    return await record(ctx, NoteKind.DECISION)


async def undo_last(ctx: CommandContext) -> Reply:
    """The newest note or action of the sender (of anyone, for chairs) in the
    meeting items currently go to."""
    key, apology_key = await target_meeting_keys(ctx, Item.NOTE, Item.APOLOGY)
    anyone = ctx.role >= Role.VICE_CHAIR
    candidates = [n for n in await ctx.repo.notes_for(ctx.group.id, key) if n.kind != NoteKind.HERE]
    if apology_key != key:  # after `!endmeeting`, apologies go to the next meeting
        sent = await ctx.repo.notes_for(ctx.group.id, apology_key)
        candidates += [n for n in sent if n.kind == NoteKind.APOLOGY]
    notes = sorted(
        (n for n in candidates if anyone or n.author == ctx.sender), key=lambda n: n.created_at
    )
    actions = [
        a
        for a in await ctx.repo.actions_created_in(ctx.group.id, key)
        if a.status == "open" and (anyone or a.created_by == ctx.sender)
    ]
    last_note = notes[-1] if notes else None
    last_action = actions[-1] if actions else None
    if last_action and (last_note is None or last_action.created_at >= last_note.created_at):
        await ctx.repo.set_action_status(last_action.id, "removed", ctx.sender, ctx.now)
        return Reply(f"Removed action #{last_action.id} “{escape(last_action.text)}”.")
    if last_note is None:
        return Reply("Nothing of yours to undo in this meeting.")
    await ctx.repo.remove_note(last_note.id, ctx.now)
    whose = (
        "your"
        if last_note.author == ctx.sender
        else f"{(await ctx.names()).of(last_note.author)}'s"
    )
    what = NOTE_WORDS.get(last_note.kind, last_note.kind)
    quoted = f" “{escape(last_note.text)}”" if last_note.text else ""
    return Reply(f"Removed {escape(whose)} {what}{quoted}.")
