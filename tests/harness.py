"""Starting the real stack for end-to-end tests and benchmarks (shared so both measure the same
thing): Rasa and the action server through the supervisor `make run` uses, and the real
python-telegram-bot Application polling the Bot API emulator."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from bot.config import Settings
from bot.conversation import Assistant
from bot.handlers import chat_idle
from bot.runtime import build_assistant
from bot.stack import PROJECT_ROOT, RASA_START_TIMEOUT, START_TIMEOUT, actions_spec, rasa_spec
from bot.supervisor import Service, Supervisor
from bot.telegram_app import build_application, on_shutdown, on_startup
from tests.emulator import SentMessage, TelegramEmulator

TOKEN = "123456:TEST-token-for-the-emulator"
MODEL = PROJECT_ROOT / "models" / "akar.tar.gz"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Stack:
    settings: Settings
    supervisor: Supervisor
    actions: Service
    rasa: Service

    async def restart_actions(self) -> None:
        """Bring the action server back after a test stopped it."""
        self.actions = await self.supervisor.start(actions_spec(self.settings, None))
        await self.supervisor.wait_healthy(self.actions, START_TIMEOUT)


@asynccontextmanager
async def running_stack(database_url: str, *, quiet: bool = False) -> AsyncIterator[Stack]:
    if not MODEL.exists():
        raise RuntimeError(f"no trained model at {MODEL}: run `make train` first")
    settings = Settings(
        rasa_port=free_port(),
        action_server_port=free_port(),
        database_url=database_url,
        telegram_bot_token=None,
    )
    supervisor = Supervisor(colour=False)
    log_dir = PROJECT_ROOT / "logs" / "bench" if quiet else None
    actions = await supervisor.start(actions_spec(settings, log_dir))
    rasa = await supervisor.start(rasa_spec(settings, log_dir))
    try:
        await supervisor.wait_healthy(actions, START_TIMEOUT)
        await supervisor.wait_healthy(rasa, RASA_START_TIMEOUT)
        yield Stack(settings, supervisor, actions, rasa)
    finally:
        await supervisor.stop_all()


@dataclass
class RunningBot:
    emulator: TelegramEmulator
    assistant: Assistant

    async def reply(self, user_id: int, timeout: float = 15.0) -> list[SentMessage]:
        """Everything the bot sent to this chat for the last injected update, once complete."""
        start = self.emulator.mark(user_id)
        await self.emulator.wait_for_sent(user_id, timeout=timeout)
        await chat_idle(user_id)
        return self.emulator.sent_to(user_id, start)

    async def transcript(self, user_id: int) -> list[dict[str, Any]]:
        """The stored transcript once the chat's current update is completely handled."""
        await chat_idle(user_id)
        return await self.assistant.store.transcript(user_id)

    async def incoming(self, user_id: int) -> list[dict[str, Any]]:
        return [m for m in await self.transcript(user_id) if m["direction"] == "in"]


@asynccontextmanager
async def running_bot(settings: Settings) -> AsyncIterator[RunningBot]:
    """An emulator plus the real Application polling it, torn down in reverse order."""
    emulator = TelegramEmulator()
    await emulator.start()
    assistant = build_assistant(settings)
    app = build_application(TOKEN, emulator.base_url, assistant)
    await app.initialize()
    await on_startup(app)
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=5)
    try:
        yield RunningBot(emulator, assistant)
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        # As run_polling does: post_shutdown stops this bot's broadcast sender. Left running,
        # it would keep claiming broadcasts for a stopped emulator in later tests.
        await on_shutdown(app)
        await emulator.stop()
