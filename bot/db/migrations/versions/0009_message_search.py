"""Full-text search over message text for the support desk's inbox (issue #6).

SQLite: an FTS5 table `messages_fts` with external content (the text stays only in `messages`;
FTS5 keeps its index in the shadow tables messages_fts_data, _idx, _docsize, _config), kept in
sync by three triggers and filled from the existing rows. PostgreSQL: a GIN index on
`to_tsvector('simple', text)`, the exact expression `bot/support/search.py` queries.
Neither is in the models (SQLAlchemy has no FTS5 table, and the index is PostgreSQL-only):
env.py keeps autogenerate from proposing to drop them.

Careful on SQLite: rebuilding `messages` in a later migration (batch mode copies the table and
drops the old one) drops these triggers with it; such a migration must recreate them
(`create_sqlite_triggers` below, copied into it) and rebuild the index.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# unicode61 folds case and strips diacritics ("café" finds "cafe"), like 'simple' on PostgreSQL
# folds case.
SQLITE_TABLE = (
    "CREATE VIRTUAL TABLE messages_fts USING fts5("
    "text, content='messages', content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
)
# For an external-content table, a removed row must be deleted with exactly the values it was
# indexed with ('delete' command); NULL text is indexed as nothing, on both sides.
SQLITE_TRIGGERS = (
    "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN "
    "INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN "
    "INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages BEGIN "
    "INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text); "
    "INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text); END",
)
POSTGRES_INDEX = (
    "CREATE INDEX ix_messages_text_fts ON messages "
    "USING gin (to_tsvector('simple'::regconfig, text))"
)


def create_sqlite_triggers() -> None:
    for statement in SQLITE_TRIGGERS:
        op.execute(statement)


def upgrade() -> None:
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        op.execute(SQLITE_TABLE)
        create_sqlite_triggers()
        op.execute("INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')")
    elif dialect == "postgresql":
        op.execute(POSTGRES_INDEX)


def downgrade() -> None:
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        for name in ("messages_fts_update", "messages_fts_delete", "messages_fts_insert"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS messages_fts")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_messages_text_fts")
