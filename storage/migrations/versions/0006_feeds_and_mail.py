"""Calendar feeds (tokens, what subscribers were shown) and e-mail (the mail
outbox, reply and opt-out tokens).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feed_tokens",
        sa.Column("group_id", sa.String(64), primary_key=True),
        sa.Column("token", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "feed_events",
        sa.Column("group_id", sa.String(64), primary_key=True),
        sa.Column("meeting_key", sa.String(64), primary_key=True),
        sa.Column("fingerprint", sa.String(128), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("modified_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("message_id", sa.String(255), nullable=False, unique=True),
        sa.Column("group_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=True),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("failed", sa.Text(), nullable=True),
    )
    op.create_index("ix_mail_pending", "mail_outbox", ["sent_at", "next_attempt_at"])
    op.create_table(
        "mail_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("group_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("meeting_key", sa.String(64), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_mail_tokens_user_id", "mail_tokens", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_mail_tokens_user_id", "mail_tokens")
    op.drop_table("mail_tokens")
    op.drop_index("ix_mail_pending", "mail_outbox")
    op.drop_table("mail_outbox")
    op.drop_table("feed_events")
    op.drop_table("feed_tokens")
