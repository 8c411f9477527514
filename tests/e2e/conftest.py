"""Session fixtures for end-to-end tests: the real trained Rasa server, the real action server,
a real migrated database, the Bot API emulator and the real python-telegram-bot Application.

Rasa and the action server start once per test session on free loopback ports, so a running
`make run` never interferes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.content.publish import publish
from bot.db.migrate import upgrade
from tests.harness import RunningBot, Stack, running_bot, running_stack


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/e2e/" in str(item.path):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("db") / "akar-e2e.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    publish(url)
    return url


@pytest.fixture(scope="session")
async def stack(database_url: str) -> AsyncIterator[Stack]:
    async with running_stack(database_url) as running:
        yield running


@pytest.fixture(scope="session")
async def bot(stack: Stack) -> AsyncIterator[RunningBot]:
    async with running_bot(stack.settings) as running:
        yield running


def _user_ids() -> Iterator[int]:
    yield from range(7_000_000_001, 7_000_100_000)


_next_user = _user_ids()


@pytest.fixture
def user_id() -> int:
    """A fresh Telegram user per test (ids above 2^32, as real new accounts have)."""
    return next(_next_user)
