"""Starting webhook mode (bot/webhook/runner.py) with the real Application against the Bot API
emulator, without Rasa: settings Telegram would refuse are refused with a clear message,
setWebhook is retried through a 429, a failed start reports its own error, and the webhook
answers (stores updates) while Rasa is down, with readiness not gated on Rasa."""

from __future__ import annotations

import socket

import httpx
import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.db.models import InboundUpdate
from bot.db.session import make_engine, make_session_factory
from bot.observability import bot_process
from bot.runtime import build_assistant
from bot.telegram_app import build_application, on_shutdown, on_startup
from bot.webhook.ingress import SECRET_HEADER
from bot.webhook.runner import (
    WebhookConfig,
    WebhookConfigError,
    register_webhook,
    serve,
    start_webhook,
    stop_webhook,
)
from tests.emulator.emulator import TelegramEmulator
from tests.harness import TOKEN, free_port

SECRET = "s3cret_token-for-tests"


def test_settings_telegram_would_refuse_are_refused() -> None:
    with pytest.raises(WebhookConfigError, match="TELEGRAM_WEBHOOK_SECRET is required"):
        WebhookConfig(url="https://bot.example.org/telegram", secret="")
    with pytest.raises(WebhookConfigError, match="TELEGRAM_WEBHOOK_SECRET"):
        WebhookConfig(url="https://bot.example.org/telegram", secret="has spaces!")
    with pytest.raises(WebhookConfigError, match="https"):
        WebhookConfig(url="http://bot.example.org/telegram", secret=SECRET)
    local = WebhookConfig(url="http://127.0.0.1:8443/telegram", secret=SECRET)
    assert local.path == "/telegram"


def settings_for(database_url: str, emulator: TelegramEmulator, port: int) -> Settings:
    return Settings(
        database_url=database_url,
        rasa_url=f"http://127.0.0.1:{free_port()}",  # nobody listens: Rasa is down
        telegram_api_base_url=emulator.base_url,
        telegram_webhook_url=f"http://127.0.0.1:{port}/telegram",
        health_port=free_port(),
    )


def app_for(settings: Settings, emulator: TelegramEmulator):  # type: ignore[no-untyped-def]
    app = build_application(TOKEN, emulator.base_url, build_assistant(settings), webhook=True)
    bot_process.configure(app, settings)
    return app


async def test_a_429_on_set_webhook_is_waited_out(database_url: str) -> None:
    async with TelegramEmulator() as emulator:
        port = free_port()
        settings = settings_for(database_url, emulator, port)
        app = app_for(settings, emulator)
        config = WebhookConfig(url=settings.telegram_webhook_url or "", secret=SECRET, port=port)
        emulator.fail_next("setWebhook", 429, retry_after=1)
        await app.initialize()
        try:
            await register_webhook(app, config)
        finally:
            await app.shutdown()
        calls = emulator.calls_of("setWebhook")
        assert [c.status for c in calls] == [429, 200]
        assert emulator.state.webhook is not None
        assert emulator.state.webhook.secret_token == SECRET


async def test_a_taken_port_is_the_error_reported(database_url: str) -> None:
    async with TelegramEmulator() as emulator:
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            settings = settings_for(database_url, emulator, port)
            app = app_for(settings, emulator)
            config = WebhookConfig(
                url=settings.telegram_webhook_url or "",
                secret=SECRET,
                listen="127.0.0.1",
                port=port,
            )
            with pytest.raises(OSError, match="address already in use"):
                await serve(app, config, on_startup, on_shutdown)
        assert not app.running


async def test_updates_are_stored_and_the_process_ready_while_rasa_is_down(
    database_url: str,
) -> None:
    async with TelegramEmulator() as emulator:
        port = free_port()
        settings = settings_for(database_url, emulator, port)
        app = app_for(settings, emulator)
        config = WebhookConfig(
            url=settings.telegram_webhook_url or "", secret=SECRET, listen="127.0.0.1", port=port
        )
        await app.initialize()
        await on_startup(app)
        await app.start()
        running = await start_webhook(app, config)
        try:
            emulator.inject_text(7_100_000_001, "halo kak")
            [reply] = await emulator.wait_for_sent(7_100_000_001, timeout=20)
            assert "gangguan" in (reply.plain_text or "")  # the apology: Rasa is down
            async with httpx.AsyncClient() as client:
                ready = await client.get(f"http://127.0.0.1:{settings.health_port}/readyz")
                refused = await client.post(
                    f"http://127.0.0.1:{port}/telegram",
                    json={"update_id": 1},
                    headers={SECRET_HEADER: "wrong"},
                )
            assert ready.status_code == 200, ready.text
            assert "rasa" not in ready.json()["checks"]
            assert refused.status_code == 403
        finally:
            await stop_webhook(app, running)
            await app.stop()
            await on_shutdown(app)
            await app.shutdown()
        with make_session_factory(make_engine(database_url))() as session:
            assert session.scalars(select(InboundUpdate.id)).all() == []
