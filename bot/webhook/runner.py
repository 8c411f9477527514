"""One `akar bot` process in webhook mode: ingress + inbox worker + the PTB Application.

python-telegram-bot's own `run_webhook` puts updates in an in-memory queue: fine for one
process, but an update is lost if that process dies, and two processes would handle one
seller's messages in parallel. Here the Application has no Updater; updates reach it from the
shared inbox instead (`Application.process_update`), so any number of these processes can run
behind a load balancer.
"""

from __future__ import annotations

import asyncio
import logging
import re
import signal
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from telegram import Update
from telegram.error import NetworkError, RetryAfter
from telegram.ext import Application

from bot import texts
from bot.conversation import Assistant
from bot.observability.bot_process import INBOX_WORKER
from bot.webhook.ingress import WebhookIngress
from bot.webhook.worker import InboxWorker

log = logging.getLogger(__name__)

App = Application[Any, Any, Any, Any, Any, Any]

SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")


class WebhookConfigError(ValueError):
    """A webhook setting Telegram would refuse; the message says how to fix it."""


@dataclass(frozen=True)
class WebhookConfig:
    url: str
    secret: str
    listen: str = "0.0.0.0"
    port: int = 8443
    max_connections: int = 40
    concurrency: int = 64
    lease_seconds: float = 60.0
    poll_seconds: float = 0.2

    def __post_init__(self) -> None:
        if not SECRET_PATTERN.fullmatch(self.secret or ""):
            raise WebhookConfigError(
                "TELEGRAM_WEBHOOK_SECRET is required in webhook mode: 1-256 characters of "
                "A-Z a-z 0-9 _ - (e.g. `openssl rand -hex 32`)."
            )
        parts = urlsplit(self.url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise WebhookConfigError(f"TELEGRAM_WEBHOOK_URL is not a URL: {self.url!r}")
        if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            # Telegram only delivers to HTTPS (ports 443, 80, 88, 8443); plain HTTP is kept
            # for a local Bot API server or the test emulator on this machine.
            raise WebhookConfigError(
                "TELEGRAM_WEBHOOK_URL must be https:// (Telegram delivers to HTTPS only)"
            )

    @property
    def path(self) -> str:
        return urlsplit(self.url).path or "/"


@dataclass
class RunningWebhook:
    ingress: WebhookIngress
    worker: InboxWorker
    stop: asyncio.Event
    task: asyncio.Task[None]


async def start_webhook(app: App, config: WebhookConfig) -> RunningWebhook:
    """Start taking updates on an initialised, started Application (no Updater)."""
    assistant: Assistant = app.bot_data["assistant"]
    sessions = assistant.store.sessions

    async def handle(payload: dict[str, Any]) -> None:
        await app.process_update(Update.de_json(payload, app.bot))

    async def delayed_answer_notice(chat_id: int) -> None:
        if chat_id > 0:  # a private chat with a seller
            await app.bot.send_message(chat_id, texts.DELAYED_ANSWER)

    worker = InboxWorker(
        sessions,
        handle,
        on_transient_failure=delayed_answer_notice,
        concurrency=config.concurrency,
        lease_seconds=config.lease_seconds,
        poll_seconds=config.poll_seconds,
    )
    ingress = WebhookIngress(
        sessions, path=config.path, secret=config.secret, on_stored=worker.wake
    )
    if sessions.kw["bind"].dialect.name == "sqlite":
        log.warning(
            "webhook mode on SQLite: fine for one process on one host; several bot processes "
            "need one shared PostgreSQL DATABASE_URL (each would have an inbox of its own)"
        )
    await ingress.start(config.listen, config.port)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop), name="webhook-inbox")
    app.bot_data[INBOX_WORKER] = worker
    running = RunningWebhook(ingress, worker, stop, task)
    try:
        await register_webhook(app, config)
    except BaseException:
        await stop_webhook(app, running)
        raise
    log.info("webhook mode: taking updates on %s:%s%s", config.listen, ingress.port, config.path)
    return running


async def register_webhook(app: App, config: WebhookConfig, attempts: int = 5) -> None:
    """setWebhook, retried: every process calls it at start (idempotent, and any of them may be
    first), so several pods starting together may meet a 429 or a network hiccup."""
    for attempt in range(1, attempts + 1):
        try:
            await app.bot.set_webhook(
                config.url,
                secret_token=config.secret,
                max_connections=config.max_connections,
                allowed_updates=Update.ALL_TYPES,
            )
            return
        except RetryAfter as exc:
            if attempt == attempts:
                raise
            delay = exc.retry_after
            wait = delay.total_seconds() if isinstance(delay, timedelta) else float(delay)
        except NetworkError:  # TimedOut included; BadRequest (a wrong URL) is not retried
            if attempt == attempts:
                raise
            wait = 2.0**attempt
        log.warning("setWebhook failed (attempt %d); trying again in %.0f s", attempt, wait)
        await asyncio.sleep(wait)  # a retry back-off


async def stop_webhook(app: App, running: RunningWebhook) -> None:
    """Stop accepting (Telegram re-sends elsewhere), then finish the updates in progress."""
    await running.ingress.stop()
    running.stop.set()
    await running.task
    app.bot_data.pop(INBOX_WORKER, None)


async def serve(app: App, config: WebhookConfig, on_startup: Any, on_shutdown: Any) -> None:
    """Block until SIGINT/SIGTERM: the webhook-mode equivalent of `run_polling`."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await app.initialize()
    try:
        await on_startup(app)
        await app.start()
        running = await start_webhook(app, config)
        try:
            await stop.wait()
        finally:
            await stop_webhook(app, running)
    finally:
        # Also after a failed start (port taken, setWebhook refused): stop what runs, so the
        # real error is the one reported, not "Application is still running".
        if app.running:
            await app.stop()
        await on_shutdown(app)
        await app.shutdown()
