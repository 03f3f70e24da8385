"""The bot's Prometheus metrics, in a registry of its own (not the process
default, so nothing else ends up on `/metrics`). Labels are bounded: a
command label is a registered command name or `unknown`, a post kind is
`agenda`, `reminder` or `chase`."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

REGISTRY = CollectorRegistry(auto_describe=True)

COMMANDS = Counter(
    "allies_commands",
    "Commands handled, by command and outcome (ok, usage, refused, unknown, failed).",
    ["command", "outcome"],
    registry=REGISTRY,
)
MESSAGES = Counter(
    "allies_messages",
    "Messages the bot sent, by outcome (sent, retry, given_up).",
    ["outcome"],
    registry=REGISTRY,
)
MAILS = Counter(
    "allies_mails",
    "Mails the bot handed to its SMTP server, by kind and outcome (sent, retry, refused).",
    ["kind", "outcome"],
    registry=REGISTRY,
)
INBOUND_MAILS = Counter(
    "allies_inbound_mails",
    "Mails read from the reply mailbox, by outcome (update, ignored, duplicate, refused, "
    "too_long, empty, unreadable).",
    ["outcome"],
    registry=REGISTRY,
)
POSTS = Counter(
    "allies_automatic_posts",
    "Automatic posts (agenda, reminder, chase), by outcome (sent, late, skipped).",
    ["kind", "outcome"],
    registry=REGISTRY,
)
UNDECRYPTABLE = Counter(
    "allies_undecryptable_messages",
    "Messages in encrypted rooms the bot could not decrypt.",
    registry=REGISTRY,
)
OUTBOX_DEPTH = Gauge("allies_outbox_depth", "Messages queued and not yet sent.", registry=REGISTRY)
OUTBOX_OLDEST = Gauge(
    "allies_outbox_oldest_pending_seconds",
    "Age of the oldest message queued and not yet sent (0 when none is).",
    registry=REGISTRY,
)
TASK_RESTARTS = Counter(
    "allies_task_restarts",
    "Restarts of a long-lived task (outbox, a network) after it failed, by task.",
    ["task"],
    registry=REGISTRY,
)
SYNC_LAG = Gauge(
    "allies_sync_lag_seconds",
    "Seconds since the last completed sync with the chat network.",
    ["network"],
    registry=REGISTRY,
)


def post_kind(kind: str) -> str:
    """`reminder:1d` -> `reminder`: one label per kind, not per configured lead."""
    return kind.split(":", 1)[0]
