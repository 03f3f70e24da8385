"""Calendar: chairs' overrides, proposed agenda items, exactly-once scheduled
posts, quiet members, and file attachments in the outbox.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meeting_overrides",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("group_id", sa.String(64), nullable=False, index=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("original_local", sa.String(16), nullable=True),
        sa.Column("new_local", sa.String(16), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False, server_default=""),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "agenda_items",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("group_id", sa.String(64), nullable=False),
        sa.Column("meeting_key", sa.String(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("proposer", sa.String(255), nullable=False),
        sa.Column("event_id", sa.String(255), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("removed_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_agenda_group_meeting", "agenda_items", ["group_id", "meeting_key"])
    op.create_table(
        "scheduled_posts",
        sa.Column("group_id", sa.String(64), primary_key=True),
        sa.Column("meeting_key", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(32), primary_key=True),
        sa.Column("posted_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "quiet_members",
        sa.Column("group_id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(255), primary_key=True),
    )
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("file_name", sa.String(255), nullable=True))
        batch.add_column(sa.Column("file_type", sa.String(128), nullable=True))
        batch.add_column(sa.Column("file_data", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("file_data")
        batch.drop_column("file_type")
        batch.drop_column("file_name")
    op.drop_table("quiet_members")
    op.drop_table("scheduled_posts")
    op.drop_index("ix_agenda_group_meeting", "agenda_items")
    op.drop_table("agenda_items")
    op.drop_table("meeting_overrides")
