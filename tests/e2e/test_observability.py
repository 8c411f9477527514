"""The bot process's health server and metrics with everything real: the trained Rasa server,
the action server, a migrated database, the Bot API emulator and the PTB Application, which
starts the health server in `post_init` exactly as `akar bot` does.

- /readyz follows the Application (not ready until polling runs, not ready once it stops) and
  Rasa: a bot whose Rasa is not there is alive but never ready.
- /metrics shows the named metrics moving after a real conversation.
- JSON log lines written meanwhile parse, carry the service name and no seller's words.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bot.config import Settings
from bot.handlers import chat_idle
from bot.logging_setup import make_handler
from bot.observability import bot_process
from bot.runtime import build_assistant
from bot.telegram_app import App, build_application, on_shutdown, on_startup
from tests.emulator import TelegramEmulator
from tests.harness import TOKEN, free_port

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@dataclass
class ObservedBot:
    app: App
    emulator: TelegramEmulator
    health_url: str

    async def start_polling(self) -> None:
        await self.app.start()
        assert self.app.updater is not None
        await self.app.updater.start_polling(poll_interval=0.0, timeout=5)

    async def stop_polling(self) -> None:
        assert self.app.updater is not None
        if self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()


@asynccontextmanager
async def observed_bot(settings: Settings) -> AsyncIterator[ObservedBot]:
    """The Application as `akar bot` builds it, initialised and started up (health server
    running) but not yet polling."""
    port = free_port()
    settings = settings.model_copy(update={"health_port": port, "broadcast_in_bot": False})
    async with TelegramEmulator() as emulator:
        app = build_application(TOKEN, emulator.base_url, build_assistant(settings))
        bot_process.configure(app, settings)
        await app.initialize()
        await on_startup(app)
        running = ObservedBot(app, emulator, f"http://127.0.0.1:{port}")
        try:
            yield running
        finally:
            await running.stop_polling()
            await on_shutdown(app)
            await app.shutdown()


async def readiness(client: httpx.AsyncClient, url: str) -> tuple[int, dict[str, bool]]:
    response = await client.get(f"{url}/readyz")
    return response.status_code, response.json()["checks"]


async def scrape(client: httpx.AsyncClient, url: str) -> Samples:
    response = await client.get(f"{url}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_readiness_follows_polling_and_the_database_and_rasa(settings: Settings) -> None:
    async with observed_bot(settings) as bot, httpx.AsyncClient(timeout=10) as client:
        alive = await client.get(f"{bot.health_url}/healthz")
        assert alive.status_code == 200 and alive.json() == {"status": "ok"}
        # Started up, but not taking updates yet.
        status, checks = await readiness(client, bot.health_url)
        assert status == 503
        assert checks == {"database": True, "rasa": True, "telegram": False}

        await bot.start_polling()
        await bot.emulator.wait_for_polling()
        status, checks = await readiness(client, bot.health_url)
        assert (status, checks) == (200, {"database": True, "rasa": True, "telegram": True})
        # BROADCAST_IN_BOT=false: the sender runs elsewhere (`akar broadcast serve`).
        assert "broadcast_sender" not in bot.app.bot_data

        await bot.stop_polling()
        status, checks = await readiness(client, bot.health_url)
        assert status == 503 and checks["telegram"] is False


async def test_a_bot_without_rasa_is_alive_but_not_ready(settings: Settings) -> None:
    # Nothing listens on this port: the bot runs exactly as it would with Rasa down.
    no_rasa = settings.model_copy(update={"rasa_url": f"http://127.0.0.1:{free_port()}"})
    async with observed_bot(no_rasa) as bot, httpx.AsyncClient(timeout=10) as client:
        await bot.start_polling()
        await bot.emulator.wait_for_polling()
        assert (await client.get(f"{bot.health_url}/healthz")).status_code == 200
        status, checks = await readiness(client, bot.health_url)
        assert status == 503
        assert checks == {"database": True, "rasa": False, "telegram": True}
        # And the seller gets the apology, counted as a Rasa error on the message path.
        before = await scrape(client, bot.health_url)
        user = 7_200_000_001
        bot.emulator.inject_text(user, "kak cod itu apa sih?")
        [apology] = await bot.emulator.wait_for_sent(user, timeout=20)
        assert apology.text
        await chat_idle(user)
        after = await scrape(client, bot.health_url)
        connect = {"operation": "message", "reason": "connect"}
        assert value(after, "akar_rasa_errors_total", **connect) == (
            value(before, "akar_rasa_errors_total", **connect) + 1
        )


async def test_metrics_after_a_real_conversation_and_json_logs_without_message_text(
    settings: Settings,
) -> None:
    secret_words = "toko saya namanya Kue Bu Ratna 0812-3456-7890"
    question = f"kak cod itu apa sih? {secret_words}"
    logs = io.StringIO()
    handler = make_handler(Settings(log_format="json", telegram_bot_token=TOKEN), "bot")
    handler.setStream(logs)
    root = logging.getLogger()
    root.addHandler(handler)
    previous_level = root.level
    # INFO, as deployed: at DEBUG, python-telegram-bot logs every Bot API call's parameters
    # (reply texts included), which is why docs/OPERATIONS.md keeps DEBUG out of production.
    root.setLevel(logging.INFO)
    try:
        async with observed_bot(settings) as bot, httpx.AsyncClient(timeout=10) as client:
            await bot.start_polling()
            await bot.emulator.wait_for_polling()
            before = await scrape(client, bot.health_url)

            user, blocked_user = 7_200_000_101, 7_200_000_102
            bot.emulator.inject_text(user, question, first_name="Ratna")
            answer = await bot.emulator.wait_for_sent(user, timeout=20)
            await chat_idle(user)
            assert answer[0].text
            bot.emulator.inject_command(user, "/modul")
            await bot.emulator.wait_for_sent(user, timeout=20)
            await chat_idle(user)
            bot.emulator.inject_callback(user, "/minta_bantuan_manusia")
            await bot.emulator.wait_for_sent(user, timeout=20)
            await chat_idle(user)
            bot.emulator.inject_sticker(user)
            await bot.emulator.wait_for_sent(user, timeout=20)
            await chat_idle(user)
            # A seller who blocked the bot: the reply fails with 403.
            bot.emulator.block_chat(blocked_user)
            bot.emulator.inject_text(blocked_user, "halo kak")
            await bot.emulator.wait_for_call(
                "sendMessage", lambda call: call.chat_id == blocked_user and not call.ok
            )
            await chat_idle(blocked_user)

            after = await scrape(client, bot.health_url)
    finally:
        root.removeHandler(handler)
        root.setLevel(previous_level)

    def grew(name: str, by: float = 1, **labels: str) -> bool:
        return value(after, name, **labels) >= value(before, name, **labels) + by

    assert grew("akar_updates_received_total", 2, kind="text")
    assert grew("akar_updates_received_total", kind="command")
    assert grew("akar_updates_received_total", kind="button")
    assert grew("akar_updates_received_total", kind="sticker")
    assert grew("akar_replies_total", 4, outcome="sent")
    assert grew("akar_replies_total", outcome="blocked")
    assert grew("akar_telegram_errors_total", source="reply", error="forbidden")
    assert grew("akar_reply_latency_seconds_count", 4)
    assert value(after, "akar_reply_latency_seconds_sum") > value(
        before, "akar_reply_latency_seconds_sum"
    )
    # Two typed messages went through the NLU; /modul and the button payload did not.
    assert grew("akar_nlu_confidence_count", 2)
    assert grew("akar_handoffs_total")
    for name in (
        "akar_nlu_fallbacks_total",
        "akar_broadcast_send_rate",
        "akar_broadcast_rate_limit",
        "process_resident_memory_bytes",
    ):
        assert any(key[0] == name for key in after), name
    # No label anywhere carries a chat id, a name or a seller's words.
    for _, labels in after:
        for _, label in labels:
            assert str(user) not in label and "Ratna" not in label and " " not in label

    lines = logs.getvalue().splitlines()
    assert lines, "nothing was logged"
    records = [json.loads(line) for line in lines]
    for record in records:
        assert record["service"] == "bot"
        assert {"timestamp", "level", "logger", "message"} <= record.keys()
    everything = logs.getvalue()
    assert "Ratna 0812" not in everything and "Kue Bu Ratna" not in everything
    assert "cod itu apa" not in everything
    assert TOKEN not in everything
