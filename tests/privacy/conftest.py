"""Real migrated databases for the privacy tests: SQLite and, when a throwaway cluster can be
started (tests/postgres.py), PostgreSQL; each test gets a fresh copy of a database migrated
once per session (a file copy; CREATE DATABASE ... TEMPLATE on PostgreSQL)."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from bot.db.migrate import upgrade
from bot.db.session import make_engine, make_session_factory
from tests.postgres import throwaway_cluster, unavailable_reason

TEMPLATE: Final = "akar_privacy_template"
_names = itertools.count()


@pytest.fixture(scope="session")
def privacy_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("privacy-db") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def privacy_postgres_server() -> Iterator[str]:
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(f"PostgreSQL tests skipped: {reason}")
    with throwaway_cluster() as url:
        admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(sa.text(f"CREATE DATABASE {TEMPLATE}"))
            upgrade(make_url(url).set(database=TEMPLATE).render_as_string(hide_password=False))
            yield url
        finally:
            admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("privacy_sqlite_template")
        shutil.copy(template, tmp_path / "akar.db")
        engine = make_engine(f"sqlite:///{tmp_path / 'akar.db'}")
        yield engine
        engine.dispose()
        return
    server: str = request.getfixturevalue("privacy_postgres_server")
    name = f"privacy_{next(_names)}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}"))
        engine = make_engine(make_url(server).set(database=name).render_as_string(False))
        yield engine
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(sa.text(f"DROP DATABASE {name}"))
    finally:
        admin.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)
