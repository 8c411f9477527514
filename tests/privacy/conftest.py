"""Real migrated databases for the privacy tests: SQLite and PostgreSQL; each test gets a fresh
copy of a database migrated once per run (`database_url`, tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.db.session import make_engine, make_session_factory


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A fresh migrated database (tests/conftest.py), on SQLite and on PostgreSQL."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)
