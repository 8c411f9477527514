"""Apply the Alembic migrations from Python (`akar db ...`, `akar run`, tests).

The Alembic configuration is built in code with `script_location` pointing inside this package,
so migrations work from any working directory and from an installed package, without `alembic.ini`
(which exists at the repository root only for people who use the `alembic` command directly).
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import make_url

from bot.db.session import make_engine

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Database objects deliberately outside the models (migration 0009, full-text search): the
# SQLite FTS5 table `messages_fts` with its shadow tables (messages_fts_data, _idx, _docsize,
# _config) and the PostgreSQL GIN index. Autogenerate and the schema tests skip them.
SEARCH_TABLE_PREFIX = "messages_fts"
SEARCH_INDEXES = frozenset({"ix_messages_text_fts"})


def is_search_table(name: str | None) -> bool:
    return bool(name) and str(name).startswith(SEARCH_TABLE_PREFIX)


def include_name(name: str | None, type_: str, parent_names: MutableMapping[Any, Any]) -> bool:
    """Alembic's `include_name` hook: leave the full-text search objects alone."""
    if type_ == "table":
        return not is_search_table(name)
    if type_ == "index":
        return name not in SEARCH_INDEXES
    return True


def alembic_config(database_url: str) -> Config:
    """An Alembic `Config` for this package's migrations against `database_url`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # The ini layer interpolates `%`; URL-encoded passwords (p%40ss) must survive it.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def _safe(database_url: str) -> str:
    """The URL with the password masked, for logs."""
    return make_url(database_url).render_as_string(hide_password=True)


def upgrade(database_url: str, revision: str = "head") -> None:
    """Migrate the database up to `revision` (default: the newest)."""
    log.info("Upgrading database %s to %s", _safe(database_url), revision)
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    """Migrate the database down to `revision` (`-1` one step, `base` everything)."""
    log.info("Downgrading database %s to %s", _safe(database_url), revision)
    command.downgrade(alembic_config(database_url), revision)


def current(database_url: str) -> str | None:
    """The revision the database is at, or None if no migration was ever applied."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
