"""Webhook mode as production runs it, for end-to-end tests and `make bench-load`: several real
`akar bot` processes (python -m bot bot) behind a round-robin load balancer, the Bot API
emulator delivering updates to the balancer's URL with the secret-token header, and one shared
database (the webhook inbox, bot/webhook/)."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from aiohttp import web

from bot.stack import PROJECT_ROOT
from bot.supervisor import Service, ServiceSpec, Supervisor
from tests.emulator.emulator import TelegramEmulator
from tests.harness import TOKEN, free_port

SECRET = "test-webhook-secret_0123456789"
WEBHOOK_PATH = "/telegram"
WORKER_START_TIMEOUT = 120.0


class RoundRobinBalancer:
    """What a load balancer (a Kubernetes Service, nginx) does in front of the bot processes:
    each request to the next backend, and to the one after if a backend cannot be reached."""

    def __init__(self, backends: list[str]) -> None:
        self.backends = backends
        self._next = itertools.cycle(range(len(backends)))
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{WEBHOOK_PATH}"

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        app = web.Application(client_max_size=2 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
        for _ in self.backends:
            backend = self.backends[next(self._next)]
            try:
                async with self._session.request(
                    request.method, backend + request.path, data=body, headers=headers
                ) as response:
                    return web.Response(status=response.status, body=await response.read())
            except aiohttp.ClientConnectionError:
                continue
        return web.Response(status=502)


@dataclass
class Worker:
    name: str
    service: Service
    health_url: str
    webhook_url: str

    @property
    def pid(self) -> int:
        return int(self.service.process.pid)

    def kill(self) -> None:
        """SIGKILL: a crash, no chance to finish or release anything."""
        os.killpg(self.pid, signal.SIGKILL)


@dataclass
class WebhookWorkers:
    emulator: TelegramEmulator
    balancer: RoundRobinBalancer
    workers: list[Worker]
    database_url: str


def worker_spec(
    index: int,
    *,
    emulator: TelegramEmulator,
    database_url: str,
    rasa_url: str,
    public_url: str,
    lease_seconds: float,
    log_dir: Path | None,
    extra_env: dict[str, str] | None = None,
) -> tuple[ServiceSpec, str, str]:
    health_port, webhook_port = free_port(), free_port()
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": emulator.base_url,
        "TELEGRAM_WEBHOOK_URL": public_url,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_WEBHOOK_LISTEN": "127.0.0.1",
        "TELEGRAM_WEBHOOK_PORT": str(webhook_port),
        "WEBHOOK_LEASE_SECONDS": str(lease_seconds),
        "HEALTH_HOST": "127.0.0.1",
        "HEALTH_PORT": str(health_port),
        "DATABASE_URL": database_url,
        "RASA_URL": rasa_url,
        "BROADCAST_IN_BOT": "false",
        "PYTHONPATH": str(PROJECT_ROOT),
        **(extra_env or {}),
    }
    health = f"http://127.0.0.1:{health_port}"
    spec = ServiceSpec(
        name=f"bot{index}",
        argv=[sys.executable, "-m", "bot", "bot"],
        env=env,
        probe_url=f"{health}/readyz",
        port=webhook_port,
        port_setting="TELEGRAM_WEBHOOK_PORT",
        log_file=log_dir / f"bot{index}.log" if log_dir else None,
    )
    return spec, health, f"http://127.0.0.1:{webhook_port}"


@asynccontextmanager
async def running_webhook_workers(
    database_url: str,
    rasa_url: str,
    *,
    workers: int = 2,
    lease_seconds: float = 60.0,
    log_dir: Path | None = None,
    extra_env: dict[str, str] | None = None,
) -> AsyncIterator[WebhookWorkers]:
    """An emulator, `workers` bot processes in webhook mode and the balancer in front of them.
    The database must be migrated (and content published) by the caller."""
    emulator = TelegramEmulator()
    await emulator.start()
    supervisor = Supervisor(colour=False)
    balancer: RoundRobinBalancer | None = None
    try:
        specs = []
        balancer_port = free_port()
        public_url = f"http://127.0.0.1:{balancer_port}{WEBHOOK_PATH}"
        for index in range(1, workers + 1):
            specs.append(
                worker_spec(
                    index,
                    emulator=emulator,
                    database_url=database_url,
                    rasa_url=rasa_url,
                    public_url=public_url,
                    lease_seconds=lease_seconds,
                    log_dir=log_dir,
                    extra_env=extra_env,
                )
            )
        balancer = RoundRobinBalancer([webhook for _, _, webhook in specs])
        balancer.port = balancer_port
        await balancer.start()
        running = []
        for spec, health, webhook in specs:
            running.append(Worker(spec.name, await supervisor.start(spec), health, webhook))
        await asyncio.gather(
            *(supervisor.wait_healthy(w.service, WORKER_START_TIMEOUT) for w in running)
        )
        yield WebhookWorkers(emulator, balancer, running, database_url)
    finally:
        await supervisor.stop_all()
        if balancer is not None:
            await balancer.stop()
        await emulator.stop()
