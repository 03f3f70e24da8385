"""The outbox's pending index holds only what is still to send: the ids of
messages neither sent nor given up. It was an index on `sent_at` over every
message ever sent, and each reply's mark moved an entry from the unsent end
to the sent end: two index pages written per reply, where the tiny index of
what waits costs one.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

PENDING = sa.text("sent_at IS NULL AND failed IS NULL")


def upgrade() -> None:
    op.drop_index("ix_outbox_pending", "outbox")
    op.create_index(
        "ix_outbox_pending", "outbox", ["id"], sqlite_where=PENDING, postgresql_where=PENDING
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_pending", "outbox")
    op.create_index("ix_outbox_pending", "outbox", ["sent_at"])
