"""Fixtures shared by the unit-level tests: a running Bot API emulator and a PTB `Bot` pointed
at it. (tests/e2e/conftest.py has its own `bot`: the whole running assistant.)"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot

from tests.emulator.emulator import TelegramEmulator
from tests.harness import TOKEN


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator() as running:
        yield running


@pytest.fixture
async def bot(emulator: TelegramEmulator) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=emulator.base_url) as telegram_bot:
        yield telegram_bot
