"""Fixtures for the fault tests (issue #7): the real stack with a delaying proxy in front of the
action server (tests/faults/stack.py), the real bot polling the Bot API emulator, and a
restartable PostgreSQL cluster (tests/faults/pg_restart.py).

The Rasa tests need the trained model and carry the `e2e` mark (test_rasa_faults.py sets it);
the PostgreSQL restart test needs only PostgreSQL and runs with the unit tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.faults.stack import FaultStack, fault_stack
from tests.harness import RunningBot, running_bot

# Short, so a test waits seconds for the timeout, not the production 10 s.
RASA_TIMEOUT = 3.0


@pytest.fixture(scope="module")
def conversation_database(published_database_url: str) -> str:
    """A migrated PostgreSQL database with the published content, for one test module."""
    return published_database_url


@pytest.fixture(scope="module")
async def faults(conversation_database: str) -> AsyncIterator[FaultStack]:
    async with fault_stack(conversation_database, rasa_timeout=RASA_TIMEOUT) as running:
        yield running


@pytest.fixture(scope="module")
async def chat(faults: FaultStack) -> AsyncIterator[RunningBot]:
    """The real bot (PTB Application) polling the emulator. Not named `bot`: tests/conftest.py's
    `bot` (a PTB Bot for the emulator) is what the broadcast sender test needs."""
    async with running_bot(faults.settings) as running:
        yield running


_next_user = iter(range(7_300_000_001, 7_300_100_000))


@pytest.fixture
def user_id() -> int:
    """A fresh Telegram user per test."""
    return next(_next_user)
