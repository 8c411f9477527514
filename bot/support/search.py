"""Full-text search over message text: one interface, one implementation per database.

Both match messages containing every word of the query, whole words, case-insensitively:

- SQLite: the FTS5 table `messages_fts` (external content on `messages`, kept in sync by
  triggers; migration 0009). Each word is sent as an FTS5 string ("word", inner quotes
  doubled), so operators, column filters, `NEAR(`, `*` or an unbalanced quote in the input are
  plain text, never query syntax.
- PostgreSQL: `to_tsvector('simple', text) @@ plainto_tsquery('simple', :query)`, served by the
  GIN expression index of migration 0009. plainto_tsquery ignores all operators by design.

The query is always a bound parameter: SQL injection is impossible by construction.
"""

from __future__ import annotations

from typing import Final, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from bot.db.models import Message

# Beyond this the query is cut: a search box, not a document.
MAX_QUERY_CHARS: Final = 200
MAX_TERMS: Final = 16

_FTS = sa.table("messages_fts", sa.column("rowid"), sa.column("messages_fts"))
# Inlined (not a bound parameter), so the expression is exactly the index's expression.
_SIMPLE: sa.ColumnElement[str] = sa.literal_column("'simple'::regconfig")


class MessageSearch(Protocol):
    def condition(self, query: str) -> sa.ColumnElement[bool]:
        """A WHERE condition on `Message`: its text contains every word of `query`."""
        ...


def terms(query: str) -> list[str]:
    """The words of a search box's input (whitespace-separated, bounded)."""
    return query[:MAX_QUERY_CHARS].split()[:MAX_TERMS]


def fts5_query(query: str) -> str:
    """The FTS5 MATCH expression for the user's words: each one a quoted string (AND-ed)."""
    return " ".join('"' + term.replace('"', '""') + '"' for term in terms(query))


class SqliteFts5Search:
    def condition(self, query: str) -> sa.ColumnElement[bool]:
        expression = fts5_query(query)
        if not expression:
            return sa.false()
        matching = sa.select(_FTS.c.rowid).where(_FTS.c.messages_fts.op("MATCH")(expression))
        return Message.id.in_(matching)


class PostgresFullTextSearch:
    def condition(self, query: str) -> sa.ColumnElement[bool]:
        words = " ".join(terms(query))
        if not words:
            return sa.false()
        document = sa.func.to_tsvector(_SIMPLE, Message.text)
        return document.op("@@")(sa.func.plainto_tsquery(_SIMPLE, words))


def for_dialect(dialect: Dialect | str) -> MessageSearch:
    name = dialect if isinstance(dialect, str) else dialect.name
    if name == "sqlite":
        return SqliteFts5Search()
    if name == "postgresql":
        return PostgresFullTextSearch()
    raise NotImplementedError(f"no full-text search for the {name} database")
