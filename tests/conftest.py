"""Fixtures shared by the unit-level tests: a running Bot API emulator and a PTB `Bot` pointed
at it (tests/e2e/conftest.py has its own `bot`: the whole running assistant), and databases on
both engines the bot supports (issue #7): `database_url` is a fresh migrated database per test,
once on SQLite (a copy of a file migrated once per run) and once on PostgreSQL (CREATE DATABASE
... TEMPLATE on one throwaway cluster per run, tests/postgres.py).

Imports happen inside the fixtures: tests/rasa_component runs in the Rasa environment, which
has no python-telegram-bot, and pytest loads this file there too."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from telegram import Bot

    from tests.emulator.emulator import TelegramEmulator


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    from tests.emulator.emulator import TelegramEmulator

    async with TelegramEmulator() as running:
        yield running


@pytest.fixture
async def bot(emulator: TelegramEmulator) -> AsyncIterator[Bot]:
    from telegram import Bot

    from tests.harness import TOKEN

    async with Bot(TOKEN, base_url=emulator.base_url) as telegram_bot:
        yield telegram_bot


# --- databases -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The admin URL of the run's throwaway cluster, where a migrated `akar_template` exists.
    Skips when no cluster can be started here, but fails under `make test`/`make test-unit`
    (which install PostgreSQL and set AKAR_REQUIRE_POSTGRES=1) and under CI=true."""
    from bot.db.migrate import upgrade
    from tests.postgres import TEMPLATE, database_url, throwaway_cluster, unavailable_reason

    reason = unavailable_reason()
    if reason is not None:
        required = os.environ.get("AKAR_REQUIRE_POSTGRES") == "1"
        if required or os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL is required (make test, CI): {reason}", pytrace=False)
        pytest.skip(f"PostgreSQL tests skipped: {reason}")
    import sqlalchemy as sa

    with throwaway_cluster() as url:
        admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(sa.text(f"CREATE DATABASE {TEMPLATE}"))
        finally:
            admin.dispose()
        upgrade(database_url(url, TEMPLATE))
        yield url


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per run; tests get copies."""
    from bot.db.migrate import upgrade

    path = tmp_path_factory.mktemp("migrated") / "akar.db"
    upgrade(f"sqlite:///{path}")
    return path


def _fresh_url(request: pytest.FixtureRequest, tmp_path: Path, *, migrated: bool) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "akar.db"
        if migrated:
            shutil.copy(request.getfixturevalue("migrated_sqlite"), path)
        yield f"sqlite:///{path}"
        return
    from tests.postgres import TEMPLATE, fresh_database

    server: str = request.getfixturevalue("postgres_server")
    with fresh_database(server, TEMPLATE if migrated else None) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def migrated_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database migrated to head, on SQLite and on PostgreSQL. (Also under this name
    for folders whose conftest.py has its own SQLite-only `database_url`, as tests/desk.)"""
    yield from _fresh_url(request, tmp_path, migrated=True)


@pytest.fixture
def database_url(migrated_database_url: str) -> str:
    """A fresh database migrated to head, on SQLite and on PostgreSQL."""
    return migrated_database_url


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh empty database (no tables, no Alembic version), on SQLite and on PostgreSQL."""
    yield from _fresh_url(request, tmp_path, migrated=False)


@pytest.fixture(scope="module")
def published_database_url(postgres_server: str) -> Iterator[str]:
    """A PostgreSQL database migrated to head with the training modules published, shared by
    one test module (end-to-end modules that start bot processes of their own)."""
    from tests.postgres import published_database

    with published_database(postgres_server) as url:
        yield url
