"""All wiring of the Telegram front end in one place: handlers, rate limiter, start-up hooks."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, TypeAlias

from telegram import Bot, BotCommand, Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import handlers
from bot.broadcast.sender import DEFAULT_RATE, BroadcastSender
from bot.broadcast.shared_limiter import make_limiter
from bot.conversation import Assistant
from bot.observability import bot_process

if TYPE_CHECKING:
    from bot.webhook.runner import WebhookConfig

log = logging.getLogger(__name__)

# The default Application (no custom context or persistence types).
App: TypeAlias = Application[Any, Any, Any, Any, Any, Any]

READY_LINE = "AKAR bot ready"

BOT_COMMANDS = [
    BotCommand("start", "Mulai dan lihat sapaan"),
    BotCommand("bantuan", "Apa saja yang bisa saya bantu"),  # /help answers too, unlisted
    BotCommand("modul", "Lihat modul pelatihan AKAR"),
    BotCommand("lanjut", "Lanjutkan pelajaran terakhir"),
    BotCommand("progres", "Lihat progres belajar"),
    BotCommand("profil", "Lihat atau ubah profil"),
    BotCommand("berhenti", "Berhenti menerima siaran"),
    BotCommand("privasi", "Data apa yang disimpan dan hak Kakak"),
    BotCommand("hapusdata", "Hapus semua data Kakak dari AKAR"),
    BotCommand("cod", "Tanya soal COD"),
    BotCommand("ongkir", "Tanya soal ongkos kirim"),
]


def build_application(
    token: str,
    base_url: str,
    assistant: Assistant,
    *,
    broadcast_rate: float = DEFAULT_RATE,
    allow_paid_broadcast: bool = False,
    redis_url: str | None = None,
    webhook: bool = False,
) -> App:
    builder = ApplicationBuilder()
    if webhook:  # updates come from the shared inbox (bot/webhook/), not an Updater
        builder = builder.updater(None)
    app = (
        builder.token(token)
        .base_url(base_url)
        .base_file_url(
            base_url.replace("/bot", "/file/bot") if base_url.endswith("/bot") else base_url
        )
        .rate_limiter(AIORateLimiter(max_retries=3))
        .concurrent_updates(64)
        .post_init(on_startup)
        .post_shutdown(on_shutdown)
        .build()
    )
    app.bot_data["assistant"] = assistant
    app.bot_data["broadcast_settings"] = (token, base_url, broadcast_rate, allow_paid_broadcast)
    app.bot_data["broadcast_redis_url"] = redis_url  # shared pace across senders (REDIS_URL)
    add_handlers(app)
    bot_process.install(app)
    return app


def add_handlers(app: App) -> None:
    app.add_handler(CommandHandler("start", handlers.on_start))
    app.add_handler(MessageHandler(filters.COMMAND, handlers.on_command))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, handlers.on_text))
    app.add_handler(CallbackQueryHandler(handlers.on_button))
    app.add_handler(
        MessageHandler(~filters.TEXT & ~filters.StatusUpdate.ALL, handlers.on_unsupported)
    )
    app.add_error_handler(handlers.on_error)


async def on_startup(app: App) -> None:
    """Register the command menu and learn the model's intents before taking updates."""
    await bot_process.start(app)  # /healthz answers while starting; /readyz once polling
    assistant: Assistant = app.bot_data["assistant"]
    await assistant.refresh_intents()
    try:
        await app.bot.set_my_commands(BOT_COMMANDS)
    except Exception as exc:  # a menu is nice to have; never a reason not to start
        log.warning("could not register bot commands: %s", exc)
    await start_broadcast_sender(app)
    if assistant.privacy is not None:  # daily transcript retention; stopped by assistant.aclose()
        assistant.privacy.start_daily_retention()
    log.info("%s as @%s", READY_LINE, app.bot.username)


async def start_broadcast_sender(app: App) -> None:
    """Due broadcasts go out from this process, on a Bot of their own (see bot/broadcast)."""
    if not bot_process.sends_broadcasts(app):  # `akar broadcast serve` runs elsewhere
        return
    assistant: Assistant = app.bot_data["assistant"]
    token, base_url, rate, paid = app.bot_data["broadcast_settings"]
    sender_bot = Bot(token, base_url=base_url)
    await sender_bot.initialize()
    stop = asyncio.Event()
    limiter = make_limiter(rate, app.bot_data.get("broadcast_redis_url"), token)
    sender = BroadcastSender(
        sender_bot, assistant.store.sessions, rate=rate, allow_paid_broadcast=paid, limiter=limiter
    )
    task = asyncio.create_task(sender.run_forever(stop), name="broadcast-sender")
    app.bot_data["broadcast_sender"] = (stop, task, sender_bot, sender)


async def on_shutdown(app: App) -> None:
    running = app.bot_data.pop("broadcast_sender", None)
    if running is not None:
        stop, task, sender_bot, sender = running
        stop.set()
        await task
        await sender.aclose()
        await sender_bot.shutdown()
    assistant: Assistant = app.bot_data["assistant"]
    await assistant.aclose()
    await bot_process.stop(app)


def run(app: App, *, webhook: WebhookConfig | None) -> None:
    """Block running the bot: long polling by default; with a webhook URL, the webhook inbox
    (bot/webhook/), which several bot processes can share."""
    if webhook is not None:
        from bot.webhook.runner import serve

        asyncio.run(serve(app, webhook, on_startup, on_shutdown))
    else:
        app.run_polling(allowed_updates=Update.ALL_TYPES)
