"""Fixtures shared by the unit-level tests: a running Bot API emulator and a PTB `Bot` pointed
at it. (tests/e2e/conftest.py has its own `bot`: the whole running assistant.)

Imports happen inside the fixtures: tests/rasa_component runs in the Rasa environment, which
has no python-telegram-bot, and pytest loads this file there too."""

from __future__ import annotations

from collections.abc import AsyncIterator
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
