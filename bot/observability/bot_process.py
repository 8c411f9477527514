"""Observability of the Telegram bot process: what `telegram_app.py` calls.

- `install(app)`: a handler in group -1 that runs before every other handler of an update:
  it counts the update by kind and starts that update's reply-latency clock.
- `configure(app, settings)`: the health server's address and whether this process sends
  broadcasts (`akar bot` calls it; the tests' harness may leave it out).
- `start(app)` / `stop(app)`: the health server, from `post_init` / `post_shutdown`.

Readiness: the database answers, Rasa answers `/status` with a model loaded, and the
Application is taking updates (long polling, or in webhook mode the inbox worker running). In
webhook mode Rasa is left out: the webhook needs only the database to store updates, and a
seller whose message reaches a Rasa-less bot still gets the apology.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from telegram import Update
from telegram.ext import Application, ContextTypes, TypeHandler

from bot.config import Settings
from bot.conversation import Assistant
from bot.handlers import message_kind
from bot.observability import metrics
from bot.observability.health_server import HealthServer, database_check
from bot.rasa_client import RasaClient

App = Application[Any, Any, Any, Any, Any, Any]

HEALTH_CONFIG: Final = "akar_health_config"
HEALTH_RUNNING: Final = "akar_health_running"
SENDS_BROADCASTS: Final = "akar_sends_broadcasts"


@dataclass(frozen=True)
class HealthConfig:
    host: str
    port: int
    rasa_url: str
    # Webhook mode: Telegram's POSTs need only the database (the inbox), so a Rasa outage must
    # not take the process out of its load balancer: updates would then not even be stored.
    rasa_gates_readiness: bool = True


def configure(app: App, settings: Settings) -> None:
    app.bot_data[SENDS_BROADCASTS] = settings.broadcast_in_bot
    if settings.health_port:
        app.bot_data[HEALTH_CONFIG] = HealthConfig(
            settings.health_host,
            settings.health_port,
            settings.rasa_base_url,
            rasa_gates_readiness=not settings.telegram_webhook_url,
        )


def sends_broadcasts(app: App) -> bool:
    return bool(app.bot_data.get(SENDS_BROADCASTS, True))


def update_kind(update: object) -> str:
    if not isinstance(update, Update):
        return "other"
    if update.callback_query is not None:
        return "button"
    message = update.effective_message
    if message is None:
        return "other"
    if update.edited_message is not None:
        return "edited"
    if message.text is not None:
        return "command" if message.text.startswith("/") else "text"
    return message_kind(update)


async def on_update(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    metrics.update_received(update_kind(update))


def install(app: App) -> None:
    # Group -1 runs first and, blocking, in the update's own task: the clock started here is
    # the one `delivery.deliver_turn` reads when the last reply has gone out.
    app.add_handler(TypeHandler(Update, on_update), group=-1)


INBOX_WORKER: Final = "akar_inbox_worker"


def taking_updates(app: App) -> bool:
    """Long polling running, or (webhook mode, bot/webhook/) the inbox worker running."""
    if not app.running:
        return False
    worker = app.bot_data.get(INBOX_WORKER)
    if worker is not None:
        return bool(worker.running)
    return bool(app.updater is not None and app.updater.running)


async def start(app: App) -> None:
    config: HealthConfig | None = app.bot_data.get(HEALTH_CONFIG)
    if config is None:
        return
    assistant: Assistant = app.bot_data["assistant"]
    rasa = RasaClient(config.rasa_url, timeout=2.0, connect_retries=0)

    async def telegram() -> bool:
        return taking_updates(app)

    checks = {"database": database_check(assistant.store.sessions), "telegram": telegram}
    if config.rasa_gates_readiness:
        checks["rasa"] = rasa.is_ready
    server = HealthServer(checks, host=config.host, port=config.port)
    await server.start()
    app.bot_data[HEALTH_RUNNING] = (server, rasa)


async def stop(app: App) -> None:
    running = app.bot_data.pop(HEALTH_RUNNING, None)
    if running is not None:
        server, rasa = running
        await server.stop()
        await rasa.aclose()
