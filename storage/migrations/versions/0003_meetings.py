"""Live meetings, their notes, action items, minutes posts; reactions and
edits in the outbox.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meeting_sessions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("group_id", sa.String(64), nullable=False, index=True),
        sa.Column("meeting_key", sa.String(64), nullable=False),
        sa.Column("start_local", sa.String(16), nullable=False),
        sa.Column("end_local", sa.String(16), nullable=False),
        sa.Column("started_by", sa.String(255), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("closes_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("ended_by", sa.String(255), nullable=True),
    )
    op.create_table(
        "meeting_notes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("group_id", sa.String(64), nullable=False),
        sa.Column("meeting_key", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False, server_default=""),
        sa.Column("author", sa.String(255), nullable=False),
        sa.Column("event_id", sa.String(255), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("removed_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_notes_group_meeting", "meeting_notes", ["group_id", "meeting_key"])
    op.create_table(
        "action_items",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("group_id", sa.String(64), nullable=False),
        sa.Column("meeting_key", sa.String(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("owners", sa.Text(), nullable=False),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False, server_default="open"),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("closed_by", sa.String(255), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("event_id", sa.String(255), nullable=False, unique=True),
    )
    op.create_index("ix_actions_group_status", "action_items", ["group_id", "status"])
    op.create_table(
        "minutes_posts",
        sa.Column("group_id", sa.String(64), primary_key=True),
        sa.Column("meeting_key", sa.String(64), primary_key=True),
        sa.Column("txn_ids", sa.Text(), nullable=False),
        sa.Column("markdown", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("reaction", sa.String(64), nullable=True))
        batch.add_column(sa.Column("replaces", sa.String(255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("replaces")
        batch.drop_column("reaction")
    op.drop_table("minutes_posts")
    op.drop_index("ix_actions_group_status", "action_items")
    op.drop_table("action_items")
    op.drop_index("ix_notes_group_meeting", "meeting_notes")
    op.drop_table("meeting_notes")
    op.drop_table("meeting_sessions")
