"""The Alembic migrations: reversible and in agreement with the models on SQLite and on
PostgreSQL (`empty_database_url`, tests/conftest.py), safe on SQLite (table rebuilds, foreign
keys, FTS5)."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.db import repository
from bot.db.migrate import (
    MIGRATIONS_DIR,
    SEARCH_INDEXES,
    alembic_config,
    current,
    downgrade,
    include_name,
    is_search_table,
    upgrade,
)
from bot.db.models import Base
from bot.db.session import make_engine

TABLES = {
    "sellers",
    "messages",
    "content_modules",
    "content_lessons",
    "content_questions",
    "lesson_progress",
    "quiz_answers",
    "certificates",
    "seller_profiles",
    "staff_roles",
    "broadcasts",
    "broadcast_deliveries",
    "inbound_updates",
    "broadcast_drafts",
    "staff_accounts",
    "staff_sessions",
    "audit_log",
    "staff_notes",
    "nlu_annotations",
    "drip_series",
    "drip_steps",
}


@pytest.fixture
def database_url(empty_database_url: str) -> str:
    """An empty database, on SQLite and on PostgreSQL."""
    return empty_database_url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """For what only SQLite has: FTS5, batch table rebuilds, foreign keys switched off."""
    return f"sqlite:///{tmp_path / 'akar.db'}"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    engine = make_engine(sqlite_url)
    yield engine
    engine.dispose()


def table_names(engine: Engine) -> set[str]:
    """The model tables. Ignored on purpose: the FTS5 table `messages_fts` and the shadow
    tables SQLite creates for it (messages_fts_data, _idx, _docsize, _config; migration 0009),
    which are not in the models; test_full_text_search_tables_come_and_go checks them."""
    names = set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    return {name for name in names if not is_search_table(name)}


def search_tables(engine: Engine) -> set[str]:
    return {name for name in sa.inspect(engine).get_table_names() if is_search_table(name)}


def head() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def test_single_head_and_linear_history() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1
    assert script.get_base() == "0001"


def test_upgrade_downgrade_upgrade(database_url: str, engine: Engine) -> None:
    assert current(database_url) is None

    upgrade(database_url)
    assert current(database_url) == head()
    assert table_names(engine) == TABLES

    downgrade(database_url, "base")
    assert current(database_url) is None
    assert table_names(engine) == set()

    upgrade(database_url, "head")
    assert current(database_url) == head()
    assert table_names(engine) == TABLES


def test_models_and_migrations_agree(database_url: str, engine: Engine) -> None:
    upgrade(database_url)
    with engine.connect() as connection:
        # include_name: the same filter env.py gives autogenerate (skips the FTS tables).
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": include_name}
        )
        assert compare_metadata(context, Base.metadata) == []


def test_full_text_search_tables_come_and_go(sqlite_url: str, sqlite_engine: Engine) -> None:
    upgrade(sqlite_url)
    assert "messages_fts" in search_tables(sqlite_engine)
    seed(sqlite_engine)
    with sqlite_engine.connect() as connection:
        found = connection.execute(
            sa.text("SELECT rowid FROM messages_fts WHERE messages_fts MATCH 'halo'")
        ).all()
    assert len(found) == 1
    downgrade(sqlite_url, "0008")
    assert search_tables(sqlite_engine) == set()
    with sqlite_engine.connect() as connection:
        triggers = connection.execute(
            sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        ).all()
    assert triggers == []
    upgrade(sqlite_url)
    with sqlite_engine.connect() as connection:  # rebuilt from the existing rows
        count = connection.execute(
            sa.text("SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'kak'")
        ).scalar_one()
    assert count == 1


def schema(engine: Engine) -> dict[str, dict[str, Any]]:
    """What autogenerate does not compare too: constraint names, CHECKs, ON DELETE rules."""
    inspector = sa.inspect(engine)
    result: dict[str, dict[str, Any]] = {}
    for table in sorted(table_names(engine)):
        result[table] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)
            ],
            "pk": inspector.get_pk_constraint(table),
            "fks": sorted(
                (fk["name"], fk["constrained_columns"], fk["referred_table"], fk["options"])
                for fk in inspector.get_foreign_keys(table)
            ),
            "indexes": sorted(
                (ix["name"], ix["column_names"], ix["unique"])
                for ix in inspector.get_indexes(table)
                # The GIN full-text index on PostgreSQL (migration 0009), as the FTS5 tables.
                if ix["name"] not in SEARCH_INDEXES
            ),
            "uniques": inspector.get_unique_constraints(table),
            "checks": sorted(
                (ck["name"], " ".join(ck["sqltext"].split()))
                for ck in inspector.get_check_constraints(table)
            ),
        }
    return result


@pytest.fixture
def reference_url(
    request: pytest.FixtureRequest, tmp_path: Path, database_url: str
) -> Iterator[str]:
    """A second empty database on the same engine as `database_url`."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'reference.db'}"
        return
    from tests.postgres import fresh_database

    with fresh_database(request.getfixturevalue("postgres_server"), template=None) as url:
        yield url


def test_migrated_schema_matches_create_all(database_url: str, reference_url: str) -> None:
    upgrade(database_url)
    migrated = make_engine(database_url)
    reference = make_engine(reference_url)
    try:
        Base.metadata.create_all(reference)
        assert schema(migrated) == schema(reference)
        checks = schema(migrated)["messages"]["checks"]
        if migrated.dialect.name == "sqlite":
            assert checks == [("ck_messages_direction", "direction IN ('in', 'out')")]
        else:
            assert [name for name, _ in checks] == ["ck_messages_direction"]
    finally:
        migrated.dispose()
        reference.dispose()


def test_postgresql_sql_is_portable() -> None:
    """Render the PostgreSQL DDL offline (no server needed) and look at the types."""
    config = alembic_config("postgresql+psycopg://akar:s3cret@db.example/akar")
    config.output_buffer = io.StringIO()
    command.upgrade(config, "head", sql=True)
    command.downgrade(config, "head:base", sql=True)
    sql = config.output_buffer.getvalue()
    assert "telegram_user_id BIGINT NOT NULL" in sql
    assert "created_at TIMESTAMP WITH TIME ZONE NOT NULL" in sql
    assert "entities JSON" in sql
    assert "CONSTRAINT ck_messages_direction CHECK (direction IN ('in', 'out'))" in sql
    assert "DROP TABLE sellers" in sql
    assert "USING gin (to_tsvector('simple'::regconfig, text))" in sql
    assert "fts5" not in sql


def copied_migrations(tmp_path: Path, database_url: str, revision_source: str) -> Config:
    """This project's migrations plus one extra revision, in a scratch script directory."""
    scripts = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "9999_extra.py").write_text(
        "import sqlalchemy as sa\n"
        "from alembic import op\n"
        "revision = '9999'\n"
        f"down_revision = {head()!r}\n"
        "branch_labels = None\n"
        "depends_on = None\n"
        f"{revision_source}\n"
        "def downgrade():\n"
        "    pass\n"
    )
    config = alembic_config(database_url)
    config.set_main_option("script_location", str(scripts))
    return config


def seed(engine: Engine) -> None:
    with Session(engine) as session:
        seller = repository.upsert_seller(
            session, telegram_user_id=7_000_000_000, chat_id=7_000_000_000, first_name="Siti"
        )
        repository.record_incoming(
            session, seller, kind="text", text="halo kak", telegram_message_id=1
        )
        session.commit()


def count_messages(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.text("SELECT count(*) FROM messages")).scalar_one())


def test_sqlite_table_rebuild_keeps_referencing_rows(
    tmp_path: Path, sqlite_url: str, sqlite_engine: Engine
) -> None:
    """Batch mode drops and recreates `sellers`; with foreign keys on that would cascade."""
    upgrade(sqlite_url)
    seed(sqlite_engine)
    config = copied_migrations(
        tmp_path,
        sqlite_url,
        "def upgrade():\n"
        "    with op.batch_alter_table('sellers', recreate='always') as batch:\n"
        "        batch.add_column(sa.Column('note', sa.Text(), nullable=True))\n",
    )
    command.upgrade(config, "head")
    assert current(sqlite_url) == "9999"
    assert count_messages(sqlite_engine) == 1


def test_failed_migration_changes_nothing(
    tmp_path: Path, database_url: str, engine: Engine
) -> None:
    upgrade(database_url)
    seed(engine)
    config = copied_migrations(
        tmp_path,
        database_url,
        "def upgrade():\n"
        "    op.create_table('junk', sa.Column('id', sa.Integer(), primary_key=True))\n"
        # A table rebuild on SQLite; PostgreSQL alters in place (and has transactional DDL).
        "    sqlite = op.get_bind().dialect.name == 'sqlite'\n"
        "    recreate = 'always' if sqlite else 'auto'\n"
        "    with op.batch_alter_table('sellers', recreate=recreate) as batch:\n"
        "        batch.add_column(sa.Column('note', sa.Text(), nullable=True))\n"
        "    raise RuntimeError('migration bug')\n",
    )
    with pytest.raises(RuntimeError, match="migration bug"):
        command.upgrade(config, "head")
    assert current(database_url) == head()
    assert table_names(engine) == TABLES
    assert "note" not in {c["name"] for c in sa.inspect(engine).get_columns("sellers")}
    assert count_messages(engine) == 1


def test_broken_foreign_keys_abort_the_migration(
    tmp_path: Path, sqlite_url: str, sqlite_engine: Engine
) -> None:
    """Foreign keys are off while migrating, so they are checked before the commit instead."""
    upgrade(sqlite_url)
    seed(sqlite_engine)
    config = copied_migrations(
        tmp_path, sqlite_url, "def upgrade():\n    op.execute('DELETE FROM sellers')\n"
    )
    with pytest.raises(RuntimeError, match="broken foreign keys"):
        command.upgrade(config, "head")
    assert current(sqlite_url) == head()
    assert count_messages(sqlite_engine) == 1


def test_password_is_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    # Nothing listens on port 1 (and the driver may not even be installed): it fails either way,
    # after logging what it tried.
    url = "postgresql+psycopg://akar:s3cret@127.0.0.1:1/akar?connect_timeout=1"
    with caplog.at_level("INFO"), pytest.raises((ImportError, sa.exc.OperationalError)):
        upgrade(url)
    assert "akar:***@127.0.0.1" in caplog.text
    assert "s3cret" not in caplog.text
