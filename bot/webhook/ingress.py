"""The webhook endpoint Telegram POSTs updates to.

It answers 200 only once the update is committed to the inbox, so Telegram re-sends anything
not stored (a database outage answers 503 and loses nothing). The secret-token header is
compared in constant time; a request without it is refused before its body is read. Nothing
else is done here: handling happens in the inbox worker, so the endpoint stays fast and
Telegram's delivery never waits on Rasa.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Callable
from typing import Final

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.observability import metrics
from bot.webhook import inbox

log = logging.getLogger(__name__)

SECRET_HEADER: Final = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY: Final = 1024 * 1024  # an update is a few KB; Telegram's own limit is far below this


class WebhookIngress:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        path: str,
        secret: str,
        on_stored: Callable[[], None],
    ) -> None:
        if not secret:
            raise ValueError("a webhook needs a secret token")
        self._sessions = sessions
        self._path = path or "/"
        self._secret = secret.encode()
        self._on_stored = on_stored
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    def application(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post(self._path, self._receive)
        return app

    async def start(self, host: str, port: int) -> None:
        self._runner = web.AppRunner(self.application(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server  # the only way to learn an OS-chosen port
        sockets = getattr(server, "sockets", None) or []
        self.port = int(sockets[0].getsockname()[1]) if sockets else port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            metrics.WEBHOOK_REQUESTS.labels("forbidden").inc()
            log.warning("webhook request without the right secret token from %s", request.remote)
            return web.Response(status=403)
        try:
            payload = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            payload = None
        if not isinstance(payload, dict) or not isinstance(payload.get("update_id"), int):
            metrics.WEBHOOK_REQUESTS.labels("invalid").inc()
            return web.Response(status=400, text="not a Telegram update")
        try:
            stored = await asyncio.to_thread(self._store, payload)
        except SQLAlchemyError as exc:
            metrics.WEBHOOK_REQUESTS.labels("unavailable").inc()
            log.warning("webhook inbox unavailable; Telegram will re-send: %s", exc)
            return web.Response(status=503)
        metrics.WEBHOOK_REQUESTS.labels("accepted" if stored else "duplicate").inc()
        if stored:
            self._on_stored()
        return web.Response(status=200)

    def _store(self, payload: inbox.JSON) -> bool:
        with self._sessions.begin() as session:
            return inbox.enqueue(session, payload)
