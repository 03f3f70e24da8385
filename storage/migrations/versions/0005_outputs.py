"""Outputs (position papers, guidelines, …) and every change of their status.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outputs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("group_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("owner", sa.String(255), nullable=True),
        sa.Column("link", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("event_id", sa.String(255), nullable=False, unique=True),
    )
    op.create_index("ix_outputs_group_status", "outputs", ["group_id", "status"])
    op.create_table(
        "output_changes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("output_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.String(64), nullable=False, index=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False, server_default=""),
        sa.Column("changed_by", sa.String(255), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("event_id", sa.String(255), nullable=False, unique=True),
    )
    op.create_index("ix_output_changes_output", "output_changes", ["output_id"])


def downgrade() -> None:
    op.drop_table("output_changes")
    op.drop_table("outputs")
