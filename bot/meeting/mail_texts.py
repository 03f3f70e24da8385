"""What the mails say: subjects and the personal texts (the list mails carry
the same text as the room's post).

Subjects start with the group's meeting and its date, so a person's mail
client sorts one meeting's agenda, reminders and minutes together, and say
second what the mail is (`ALLIES meeting Tue 3 Mar 2026, 11:00 CET: agenda`).
"""

from __future__ import annotations

from datetime import date

from bot.calendar.cadence import Meeting
from bot.meeting.agenda import day_and_time, short_day
from bot.meeting.render import escape


def meeting_subject(group_name: str, meeting: Meeting, what: str) -> str:
    return f"{group_name} meeting {short_day(meeting.start)}: {what}"


def minutes_subject(group_name: str, meeting: Meeting, revision: int) -> str:
    """`…: minutes`, and for a re-run `…: corrected minutes` (`(2)`, `(3)` … after that)."""
    if revision <= 1:
        return meeting_subject(group_name, meeting, "minutes")
    count = f" ({revision - 1})" if revision > 2 else ""
    return meeting_subject(group_name, meeting, f"corrected minutes{count}")


def chase_mail(group_name: str, meeting: Meeting, alliance: str, *, by_reply: bool) -> str:
    """The chase, for one person (Markdown, escaped)."""
    how = (
        "Reply to this mail with your update: what you write above the quoted text "
        "becomes your alliance's update. You can also send `!update <text>` in the room."
        if by_reply
        else "Send it with `!update <text>` in the group's room."
    )
    return (
        f"No update from {escape(alliance)} has reached the {escape(group_name)} meeting "
        f"of {day_and_time(meeting.start)} yet. One per alliance is enough.\n\n{how}"
    )


def due_mail(action_id: int, task: str, due: date) -> str:
    """The due-day reminder of one action, for one owner (Markdown, escaped)."""
    return (
        f"Your action #{action_id}, {escape(task)}, is due today ({due:%a %-d %b %Y}). "
        f"Send `!done {action_id}` in the group's room when it is done."
    )


def refused_notice(kind: str, who: str, reason: str) -> str:
    """For the chairs, once a day: a mail the server refused for good (Markdown)."""
    what = {"agenda": "agenda", "minutes": "minutes", "chase": "update reminder"}.get(
        kind, "reminder" if kind == "due" else "answer"
    )
    return (
        f"Chairs: the mail server refused the {what} mail to {escape(who)} for good "
        f"({escape(reason)}). I will not try it again; the log has the details. Any "
        "further refusal today is only in the log and /metrics."
    )
