"""`akar broadcast serve`: the broadcast sender as a long-running service of its own.

`akar broadcast send` works through what is due and exits (cron, or by hand after a crash);
this runs `BroadcastSender.run_forever` until SIGTERM or SIGINT, so a container or a systemd
unit can keep it up. On a signal it finishes and records the batch in hand, then exits 0.
Without REDIS_URL the bots must not send broadcasts while it runs (BROADCAST_IN_BOT=false), or
each would use the whole rate; with it all senders share one pace (shared_limiter.py), and
several replicas are safe. Health server: /healthz, /readyz (database answers, Telegram
accepted the token, sender running) and /metrics on HEALTH_HOST:HEALTH_PORT.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Final

from telegram import Bot

from bot.broadcast.sender import BroadcastSender
from bot.broadcast.shared_limiter import make_limiter
from bot.config import Settings
from bot.db.session import make_engine, make_session_factory
from bot.observability.health_server import HealthServer, database_check

log = logging.getLogger(__name__)

READY_LINE: Final = "broadcast sender ready"


async def serve(settings: Settings, rate: float, stop: asyncio.Event | None = None) -> int:
    assert settings.telegram_bot_token is not None
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    engine = make_engine(settings.database_url)
    sessions = make_session_factory(engine)
    sending = asyncio.Event()

    async def sender_running() -> bool:
        return sending.is_set() and not stop.is_set()

    health = HealthServer(
        {"database": database_check(sessions), "sender": sender_running},
        host=settings.health_host,
        port=settings.health_port,
    )
    try:
        if settings.health_port:
            await health.start()
        token = settings.telegram_bot_token.get_secret_value()
        async with Bot(token, base_url=settings.telegram_api_base_url) as bot:
            sender = BroadcastSender(
                bot,
                sessions,
                rate=rate,
                allow_paid_broadcast=settings.allow_paid_broadcast,
                limiter=make_limiter(rate, settings.redis_url, token),
            )
            sending.set()
            shared = "shared through Redis" if settings.redis_url else "this process alone"
            log.info("%s: %g messages/s (%s) as @%s", READY_LINE, rate, shared, bot.username)
            try:
                await sender.run_forever(stop)
            finally:
                await sender.aclose()
    finally:
        await health.stop()
        engine.dispose()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    log.info("broadcast sender stopped")
    return 0
