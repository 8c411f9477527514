"""Starting the real stack for end-to-end tests and benchmarks (shared so both measure the same
thing): Rasa and the action server through the supervisor `make run` uses, and the real
python-telegram-bot Application polling the Bot API emulator."""

from __future__ import annotations

import os
import signal
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.conversation import Assistant
from bot.handlers import chat_idle
from bot.runtime import build_assistant
from bot.stack import (
    PROJECT_ROOT,
    RASA_START_TIMEOUT,
    START_TIMEOUT,
    actions_spec,
    rasa_spec,
    rasa_specs,
)
from bot.supervisor import Service, Supervisor
from bot.telegram_app import build_application, on_shutdown, on_startup
from tests.emulator import SentMessage, TelegramEmulator

TOKEN = "123456:TEST-token-for-the-emulator"
MODEL = PROJECT_ROOT / "models" / "akar.tar.gz"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_ports(count: int) -> int:
    """The first of `count` consecutive free loopback ports (RASA_PORT for RASA_WORKERS)."""
    while True:
        first = free_port()
        if first + count > 65536:
            continue
        try:
            for port in range(first + 1, first + count):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return first


@dataclass
class Stack:
    settings: Settings
    supervisor: Supervisor
    actions: Service
    rasa: Service  # the first Rasa server
    rasa_servers: list[Service] = field(default_factory=list)  # all of them, `rasa` first
    log_dir: Path | None = None

    async def restart_actions(self) -> None:
        """Bring the action server back after a test stopped it."""
        self.actions = await self.supervisor.start(actions_spec(self.settings, self.log_dir))
        await self.supervisor.wait_healthy(self.actions, START_TIMEOUT)

    async def kill_rasa(self, worker: int) -> None:
        """SIGKILL Rasa server `worker` (0-based) and its helpers: a crash, no goodbye."""
        process = self.rasa_servers[worker].process
        os.killpg(process.pid, signal.SIGKILL)
        await process.wait()

    async def restart_rasa(self, worker: int) -> None:
        """Start Rasa server `worker` again on its port and wait until it has its model."""
        service = await self.supervisor.start(rasa_spec(self.settings, self.log_dir, worker))
        await self.supervisor.wait_healthy(service, RASA_START_TIMEOUT)
        self.rasa_servers[worker] = service
        if worker == 0:
            self.rasa = service


@asynccontextmanager
async def running_stack(
    database_url: str,
    *,
    quiet: bool = False,
    rasa_workers: int = 1,
    rasa_tracker_store_url: str | None = None,
    rasa_lock_store_url: str | None = None,
) -> AsyncIterator[Stack]:
    """The action server and `rasa_workers` Rasa servers; several share conversations through
    the tracker store (a PostgreSQL URL) and the lock store (a redis:// URL)."""
    if not MODEL.exists():
        raise RuntimeError(f"no trained model at {MODEL}: run `make train` first")
    settings = Settings(
        rasa_port=free_ports(rasa_workers),
        rasa_workers=rasa_workers,
        rasa_tracker_store_url=rasa_tracker_store_url,
        rasa_lock_store_url=rasa_lock_store_url,
        action_server_port=free_port(),
        database_url=database_url,
        telegram_bot_token=None,
    )
    supervisor = Supervisor(colour=False)
    log_dir = PROJECT_ROOT / "logs" / "bench" if quiet else None
    actions = await supervisor.start(actions_spec(settings, log_dir))
    try:
        servers = [await supervisor.start(spec) for spec in rasa_specs(settings, log_dir)]
        await supervisor.wait_healthy(actions, START_TIMEOUT)
        for server in servers:
            await supervisor.wait_healthy(server, RASA_START_TIMEOUT)
        yield Stack(settings, supervisor, actions, servers[0], servers, log_dir)
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
