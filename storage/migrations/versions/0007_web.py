"""The web archive: one-time sign-in links, browser sessions, and full-text
search over meeting notes (SQLite FTS5 kept by triggers; PostgreSQL a GIN
index on the notes' text search vector).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

SQLITE_FTS = [
    "CREATE VIRTUAL TABLE notes_fts USING fts5(text, content='meeting_notes', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER notes_fts_ai AFTER INSERT ON meeting_notes BEGIN "
    "INSERT INTO notes_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER notes_fts_ad AFTER DELETE ON meeting_notes BEGIN "
    "INSERT INTO notes_fts(notes_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER notes_fts_au AFTER UPDATE OF text ON meeting_notes BEGIN "
    "INSERT INTO notes_fts(notes_fts, rowid, text) VALUES ('delete', old.id, old.text); "
    "INSERT INTO notes_fts(rowid, text) VALUES (new.id, new.text); END",
    "INSERT INTO notes_fts(notes_fts) VALUES ('rebuild')",
]
POSTGRES_FTS = "CREATE INDEX ix_notes_fts ON meeting_notes USING gin (to_tsvector('simple', text))"


def upgrade() -> None:
    op.create_table(
        "web_links",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_web_links_user_id", "web_links", ["user_id"])
    op.create_table(
        "web_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_web_sessions_user_id", "web_sessions", ["user_id"])
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_FTS:
            op.execute(statement)
    else:
        op.execute(POSTGRES_FTS)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("notes_fts_au", "notes_fts_ad", "notes_fts_ai"):
            op.execute(f"DROP TRIGGER {name}")
        op.execute("DROP TABLE notes_fts")
    else:
        op.execute("DROP INDEX ix_notes_fts")
    op.drop_index("ix_web_sessions_user_id", "web_sessions")
    op.drop_table("web_sessions")
    op.drop_index("ix_web_links_user_id", "web_links")
    op.drop_table("web_links")
