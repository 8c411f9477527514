"""The real stack for fault tests, with the hooks tests/harness.py does not have: Rasa reaches the
action server through a DelayingProxy, and Rasa can be killed and started again.

Built from the same specs `akar run` uses (bot/stack.py) and the same Supervisor; only the
action endpoint Rasa is given differs (the proxy's port instead of the action server's).
"""

from __future__ import annotations

import os
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.config import Settings
from bot.stack import RASA_START_TIMEOUT, START_TIMEOUT, actions_spec, rasa_spec
from bot.supervisor import Service, Supervisor
from tests.faults.delay_proxy import DelayingProxy
from tests.harness import MODEL, free_port


@dataclass
class FaultStack:
    settings: Settings  # what the bot uses (RASA_URL, its Rasa timeout, the database)
    rasa_settings: Settings  # what Rasa is started with (the action endpoint is the proxy)
    supervisor: Supervisor
    proxy: DelayingProxy
    actions: Service
    rasa: Service

    async def kill_rasa(self) -> None:
        """SIGKILL, as the OOM killer or a crash would: no shutdown of any kind."""
        os.kill(self.rasa.process.pid, signal.SIGKILL)
        await self.rasa.process.wait()
        await self.supervisor.stop_service(self.rasa)  # forget it (and reap its output pump)

    async def start_rasa(self) -> None:
        self.rasa = await self.supervisor.start(rasa_spec(self.rasa_settings, None))
        await self.supervisor.wait_healthy(self.rasa, RASA_START_TIMEOUT)


@asynccontextmanager
async def fault_stack(database_url: str, *, rasa_timeout: float) -> AsyncIterator[FaultStack]:
    if not MODEL.exists():
        raise RuntimeError(f"no trained model at {MODEL}: run `make train` first")
    settings = Settings(
        rasa_port=free_port(),
        action_server_port=free_port(),
        database_url=database_url,
        telegram_bot_token=None,
        rasa_timeout_seconds=rasa_timeout,
    )
    async with DelayingProxy("127.0.0.1", settings.action_server_port) as proxy:
        # Settings.action_endpoint_url is derived from the port: Rasa gets the proxy's.
        rasa_settings = settings.model_copy(update={"action_server_port": proxy.port})
        supervisor = Supervisor(colour=False)
        try:
            actions = await supervisor.start(actions_spec(settings, None))
            rasa = await supervisor.start(rasa_spec(rasa_settings, None))
            await supervisor.wait_healthy(actions, START_TIMEOUT)
            await supervisor.wait_healthy(rasa, RASA_START_TIMEOUT)
            yield FaultStack(settings, rasa_settings, supervisor, proxy, actions, rasa)
        finally:
            await supervisor.stop_all()
