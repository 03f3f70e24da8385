"""Indexes by time for what the report and the archive ask of a group's
record: when it began (the first note or update) and the updates of a
period. Without them each question read every note of the group.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_notes_group_created", "meeting_notes", ["group_id", "created_at"])
    op.create_index("ix_updates_group_created", "updates", ["group_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_updates_group_created", "updates")
    op.drop_index("ix_notes_group_created", "meeting_notes")
