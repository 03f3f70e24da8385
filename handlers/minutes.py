"""`!minutes`: compile the current or most recent meeting's minutes into the room.

Posted as formatted messages plus the Markdown file. Running it again edits
the earlier messages (`m.replace`) and replaces the file instead of posting
a second copy.
"""

from __future__ import annotations

from bot.calendar.cadence import Meeting
from bot.meeting.live import minutes_meeting
from bot.meeting.minutes import compile_minutes, minutes_filename
from bot.meeting.render import MAX_CHUNK_CHARS, readable, split_for_messages
from bot.runtime.calendars import load_calendar
from bot.runtime.minutes_data import gather_minutes
from bot.runtime.router import CommandContext, OutgoingFile, Phase, Reply, Role, RoomPost, Router


def minutes_posts(
    group_id: str, meeting: Meeting, markdown: str, previous: tuple[list[str], int] | None
) -> tuple[list[RoomPost], list[str], int]:
    """Room posts for this revision; each replaces the same part of the first one."""
    earlier, revision = previous if previous else ([], 0)
    revision += 1
    earlier_text = [k for k in earlier if not k.endswith(":file")]
    earlier_file = next((k for k in earlier if k.endswith(":file")), None)
    base = f"minutes:{group_id}:{meeting.key}"
    posts, keys = [], []
    for index, chunk in enumerate(split_for_messages(markdown, MAX_CHUNK_CHARS)):
        original = earlier_text[index] if index < len(earlier_text) else None
        posts.append(RoomPost(chunk, f"{base}:r{revision}:{index}", replaces_key=original))
        keys.append(original or f"{base}:r{revision}:{index}")
    file_key = f"{base}:r{revision}:file"
    text = readable(markdown).encode()  # a file is read as text, not rendered
    file = OutgoingFile(minutes_filename(group_id, meeting), "text/markdown", text)
    posts.append(RoomPost("", file_key, file=file, replaces_key=earlier_file))
    keys.append(earlier_file or file_key)
    return posts, keys, revision


def register(router: Router) -> None:
    @router.command(
        "minutes",
        role=Role.VICE_CHAIR,
        usage="!minutes [date]",
        summary="post the minutes of the latest meeting, or of a date",
        phase=Phase.AFTER,
        example="!minutes 4 December",
    )
    async def minutes(ctx: CommandContext) -> Reply:
        calendar = await load_calendar(ctx.repo, ctx.group)
        session = await ctx.repo.last_session(ctx.group.id)
        meeting = minutes_meeting(session, calendar, ctx.now)
        if meeting is None:
            return Reply("There is no meeting to write minutes for yet.")
        data = await gather_minutes(ctx.repo, calendar, meeting, session, ctx.now)
        markdown = compile_minutes(data)
        previous = await ctx.repo.minutes_post(ctx.group.id, meeting.key)
        posts, keys, revision = minutes_posts(ctx.group.id, meeting, markdown, previous)
        await ctx.repo.save_minutes_post(
            ctx.group.id, meeting.key, keys, markdown, revision, ctx.now
        )
        what = "updated: I edited the earlier post" if previous else "posted below"
        return Reply(f"Minutes of {meeting.start:%a %d %b %Y} {what}.", room_posts=tuple(posts))
