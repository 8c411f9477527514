"""Session fixtures for end-to-end tests: the real trained Rasa server, the real action server,
a real migrated database, the Bot API emulator and the real python-telegram-bot Application.

Every test that touches the database runs on SQLite and on PostgreSQL (issue #7):
`database_url` is session-scoped and parametrized over both engines (SQLite: a migrated file;
PostgreSQL: a copy of the migrated template on the run's throwaway cluster, tests/postgres.py via
`postgres_server` in tests/conftest.py), with the published content in both. pytest groups the
tests by that parameter, so each database is created once and `settings` and `bot` (which
depend on it) start once per engine: the whole suite on SQLite, then again on PostgreSQL.

Rasa and the action server (`stack`) do not read the bot's database (the custom actions only
tell the bot which screen to show, actions/modules.py; the action server gets no DATABASE_URL),
so they start once per session, on free loopback ports so a running `make run` never
interferes, and serve both halves. The stack's own `settings.database_url` points at a file
that cannot be opened, so a test that reaches the database through it fails instead of silently
testing one engine: tests take the database from `settings` (the bot's settings on this
parameter's database) or `database_url`.

`test_run_stack.py` starts `akar run` (its own Rasa) on an empty database of each engine
(`empty_database_url`), which `akar run` migrates. Measured on the shared 2-core box: this
folder took 75-110 s on SQLite alone and takes ~3-3.5 min on both (Rasa's 17-40 s start paid
once; the two `akar run` tests are ~70 s of it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.content.publish import publish
from bot.db.migrate import upgrade
from tests.harness import RunningBot, Stack, running_bot, running_stack

NO_DATABASE = "sqlite:////nonexistent/the-stack-has-no-database/use-settings-or-database_url.db"
"""The database URL in `stack.settings`: Rasa and the action server need none."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/e2e/" in str(item.path):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A database migrated to head with the published content, shared by the session's tests on
    one engine (tests use fresh Telegram ids, `user_id`)."""
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("db") / "akar-e2e.db"
        url = f"sqlite:///{path}"
        upgrade(url)
        publish(url)
        yield url
        return
    from tests.postgres import TEMPLATE, fresh_database

    server: str = request.getfixturevalue("postgres_server")
    with fresh_database(server, TEMPLATE) as url:
        publish(url)
        yield url


@pytest.fixture(scope="session")
async def stack() -> AsyncIterator[Stack]:
    """Rasa and the action server, once per session for both databases."""
    async with running_stack(NO_DATABASE) as running:
        yield running


@pytest.fixture(scope="session")
def settings(stack: Stack, database_url: str) -> Settings:
    """The bot's settings: the running stack's ports, this parameter's database."""
    return stack.settings.model_copy(update={"database_url": database_url})


@pytest.fixture(scope="session")
async def bot(settings: Settings) -> AsyncIterator[RunningBot]:
    async with running_bot(settings) as running:
        yield running


def _user_ids() -> Iterator[int]:
    yield from range(7_000_000_001, 7_000_100_000)


_next_user = _user_ids()


@pytest.fixture
def user_id() -> int:
    """A fresh Telegram user per test (ids above 2^32, as real new accounts have)."""
    return next(_next_user)
