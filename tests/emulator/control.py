"""The control HTTP API under /_emulator/, for driving an emulator in another process.

`python -m tests.emulator` runs the emulator on its own; the AKAR bot (`make run` with
TELEGRAM_API_BASE_URL pointing here), a subprocess test or a curious newcomer with curl can then
inject user actions and read what the bot sent:

    POST /_emulator/inject   {"type": "text", "user_id": 42, "text": "halo"}  -> the Message
    GET  /_emulator/sent?chat_id=42&since=0                                    -> [SentMessage]
    GET  /_emulator/wait?chat_id=42&count=1&timeout=10[&since=N]               -> [SentMessage]
    GET  /_emulator/calls?method=sendMessage&since=0                           -> [ApiCall]
    POST /_emulator/fault    {"action": "block_chat", "chat_id": 42}           -> ok
    POST /_emulator/reset                                                      -> ok
    GET  /_emulator/health                                                     -> status
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.emulator.server import json_response

if TYPE_CHECKING:
    from tests.emulator.emulator import TelegramEmulator

JSON = dict[str, Any]
PREFIX = "/_emulator"


class ControlError(Exception):
    """A bad control request (400)."""


def _int(query: Any, name: str, default: int | None = None) -> int | None:
    value = query.get(name)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ControlError(f"{name} must be an integer") from None


class ControlApi:
    def __init__(self, emulator: TelegramEmulator) -> None:
        self.emulator = emulator

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(f"{PREFIX}/health", self.health)
        app.router.add_post(f"{PREFIX}/inject", self._guard(self.inject))
        app.router.add_get(f"{PREFIX}/sent", self._guard(self.sent))
        app.router.add_get(f"{PREFIX}/wait", self._guard(self.wait))
        app.router.add_get(f"{PREFIX}/calls", self._guard(self.calls))
        app.router.add_post(f"{PREFIX}/fault", self._guard(self.fault))
        app.router.add_post(f"{PREFIX}/reset", self.reset)

    @staticmethod
    def _guard(
        handler: Callable[[web.Request], Any],
    ) -> Callable[[web.Request], Any]:
        """Turn bad input into a 400 JSON answer instead of a 500 page."""

        async def guarded(request: web.Request) -> web.Response:
            try:
                response: web.Response = await handler(request)
            except (ControlError, TypeError, ValueError) as exc:
                return json_response({"ok": False, "description": str(exc)}, 400)
            return response

        return guarded

    async def health(self, request: web.Request) -> web.Response:
        emu = self.emulator
        return json_response(
            {
                "ok": True,
                "base_url": emu.base_url,
                "base_file_url": emu.base_file_url,
                "pending_updates": len(emu.state.updates),
                "sent": len(emu.sent),
                "calls": len(emu.calls),
                "webhook": emu.state.webhook.url if emu.state.webhook else "",
            }
        )

    async def inject(self, request: web.Request) -> web.Response:
        body = await request.json()
        if not isinstance(body, dict) or "type" not in body:
            raise ControlError('body must be a JSON object with a "type"')
        kind = str(body.pop("type"))
        emu = self.emulator
        injectors: dict[str, Callable[..., JSON]] = {
            "text": emu.inject_text,
            "command": emu.inject_command,
            "callback": emu.inject_callback,
            "sticker": emu.inject_sticker,
            "photo": emu.inject_photo,
            "voice": emu.inject_voice,
            "document": emu.inject_document,
            "location": emu.inject_location,
            "contact": emu.inject_contact,
            "edited_text": emu.inject_edited_text,
            "update": lambda update: emu.inject_update(update),
        }
        if kind not in injectors:
            raise ControlError(f"unknown type {kind!r}; one of {sorted(injectors)}")
        if isinstance(body.get("content"), str):
            body["content"] = body["content"].encode()
        result = injectors[kind](**body)
        chat_id = body.get("chat_id", body.get("user_id"))
        since = emu.mark(int(chat_id)) if chat_id is not None else len(emu.sent)
        return json_response({"ok": True, "result": result, "since": since})

    async def sent(self, request: web.Request) -> web.Response:
        chat_id = _int(request.query, "chat_id")
        since = _int(request.query, "since", 0) or 0
        found = self.emulator.sent[since:]
        if chat_id is not None:
            found = [m for m in found if m.chat_id == chat_id]
        return json_response([m.to_json() for m in found])

    async def wait(self, request: web.Request) -> web.Response:
        chat_id = _int(request.query, "chat_id")
        if chat_id is None:
            raise ControlError("chat_id is required")
        count = _int(request.query, "count", 1) or 1
        since = _int(request.query, "since")
        timeout = float(request.query.get("timeout", "10"))
        try:
            found = await self.emulator.wait_for_sent(chat_id, count, timeout, after=since)
        except TimeoutError as exc:
            return json_response({"ok": False, "description": str(exc)}, 408)
        return json_response([m.to_json() for m in found])

    async def calls(self, request: web.Request) -> web.Response:
        method = request.query.get("method")
        since = _int(request.query, "since", 0) or 0
        found = self.emulator.calls_of(method, since) if method else self.emulator.calls[since:]
        return json_response([c.to_json() for c in found])

    async def fault(self, request: web.Request) -> web.Response:
        body = await request.json()
        if not isinstance(body, dict) or "action" not in body:
            raise ControlError('body must be a JSON object with an "action"')
        action = str(body.pop("action"))
        emu = self.emulator
        actions: dict[str, Callable[..., None]] = {
            "fail_next": emu.fail_next,
            "delay_next": emu.delay_next,
            "block_chat": emu.block_chat,
            "unblock_chat": emu.unblock_chat,
            "chat_not_found": emu.fail_chat_not_found,
            "restore_chat": emu.restore_chat,
            "rate_limit": emu.set_rate_limit,
            "clear": emu.clear_faults,
        }
        if action not in actions:
            raise ControlError(f"unknown action {action!r}; one of {sorted(actions)}")
        actions[action](**body)
        return json_response({"ok": True})

    async def reset(self, request: web.Request) -> web.Response:
        self.emulator.reset()
        return json_response({"ok": True})
