"""Webhook delivery: while a webhook is set, POST pending updates to it, like Telegram does.

Lets the bot's webhook mode (PTB's `run_webhook` / `start_webhook`) be tried offline. Updates
go one at a time, in order, as JSON with the `X-Telegram-Bot-Api-Secret-Token` header; an
update is forgotten once the bot answers 2xx, and retried after a short pause otherwise
(the failure shows up in getWebhookInfo's last_error_message).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import aiohttp

from tests.emulator import objects
from tests.emulator.state import EmulatorState, WebhookConfig

JSON = dict[str, Any]
RETRY_PAUSE = 0.2
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookDelivery:
    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        self._task = asyncio.create_task(self._run(), name="emulator-webhook")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _next(self) -> tuple[WebhookConfig, JSON] | None:
        hook = self.state.webhook
        if hook is None or self.state.closing:
            return None
        pending = self.state.deliverable(1)
        return (hook, pending[0]) if pending else None

    async def _run(self) -> None:
        while True:
            hook, item = await self.state.changed.wait_for(self._next, None)
            error = await self._post(hook, item)
            if error is None:
                self.state.updates = [u for u in self.state.updates if u is not item]
                self.state.changed.notify()
            else:
                hook.last_error_date = objects.now()
                hook.last_error_message = error
                await asyncio.sleep(RETRY_PAUSE)  # a retry back-off, not synchronisation

    async def _post(self, hook: WebhookConfig, item: JSON) -> str | None:
        assert self._session is not None
        headers = {SECRET_HEADER: hook.secret_token} if hook.secret_token else {}
        try:
            async with self._session.post(hook.url, json=item, headers=headers) as response:
                if 200 <= response.status < 300:
                    return None
                return f"Wrong response from the webhook: {response.status} {response.reason}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            return f"Connection failed: {exc!r}"
