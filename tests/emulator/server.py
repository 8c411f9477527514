"""The HTTP face of the emulator: Bot API routes, file downloads, request parsing.

Routes mirror api.telegram.org: `POST|GET /bot<token>/<method>` and
`GET /file/bot<token>/<file_path>`. Each call is recorded (successful or not) after fault
injection and the method handler ran.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from typing import Any

from aiohttp import web

from tests.emulator.errors import ApiError
from tests.emulator.methods import lookup
from tests.emulator.params import Params
from tests.emulator.records import ApiCall, UploadedFile
from tests.emulator.state import EmulatorState

log = logging.getLogger("tests.emulator")

TOKEN = re.compile(r"^[0-9]{1,20}:[A-Za-z0-9_-]+$")
MAX_UPLOAD = 64 * 1024 * 1024  # sendDocument allows 50 MB; leave room for the form


def json_response(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=lambda o: json.dumps(o, ensure_ascii=False))


async def read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
    """Parameters from the query string plus a JSON, urlencoded or multipart body."""
    params: dict[str, Any] = dict(request.query)
    files: dict[str, UploadedFile] = {}
    if request.content_type == "application/json":
        body = await request.json() if request.can_read_body else {}
        if not isinstance(body, dict):
            raise ApiError.bad_request("request body must be a JSON object")
        params.update(body)
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, web.FileField):
                content = value.file.read()
                files[name] = UploadedFile(name, value.filename, value.content_type, content)
            else:
                params[name] = value
    return params, files


def _lenient_chat_id(raw: dict[str, Any]) -> int | None:
    try:
        return int(raw["chat_id"])
    except (KeyError, TypeError, ValueError):
        return None


class BotApi:
    """Dispatches Bot API requests to the method handlers, applying injected faults first."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    def add_routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/bot{token}/{method}", self.handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self.download)

    async def handle(self, request: web.Request) -> web.Response:
        token, name = request.match_info["token"], request.match_info["method"]
        if not TOKEN.match(token):
            return json_response(ApiError(404, "Not Found").payload(), 404)
        self.state.bot_id = int(token.split(":", 1)[0])
        raw: dict[str, Any] = {}
        files: dict[str, UploadedFile] = {}
        found = lookup(name)
        method = found.name if found else name
        result: Any = None
        description: str | None = None
        try:
            raw, files = await read_params(request)
            if found is None:
                raise ApiError(404, "Not Found")
            await self._apply_faults(method, raw)
            result = await found.func(self.state, Params(raw, files))
        except ApiError as exc:
            status, description, body = exc.status, exc.description, exc.payload()
        else:
            status, body = 200, {"ok": True, "result": result}
        self.state.record_call(
            ApiCall(
                index=len(self.state.calls),
                method=method,
                params=raw,
                status=status,
                result=result,
                description=description,
                time=time.time(),
                files=files,
            )
        )
        if status != 200:
            log.debug("%s -> %s %s", method, status, description)
        return json_response(body, status)

    async def _apply_faults(self, method: str, raw: dict[str, Any]) -> None:
        chat_id = _lenient_chat_id(raw)
        rule = self.state.faults.take_rule(method, chat_id)
        if rule is not None:
            if rule.delay:
                await asyncio.sleep(rule.delay)  # simulating a slow Telegram, on request
            if rule.status != 200:
                raise rule.error()
        standing = self.state.faults.standing_error(method, chat_id)
        if standing is not None:
            raise standing

    async def download(self, request: web.Request) -> web.StreamResponse:
        if not TOKEN.match(request.match_info["token"]):
            raise web.HTTPNotFound()
        path = request.match_info["path"]
        for stored in self.state.files.values():
            if stored.file_path == path:
                content_type = stored.mime_type or "application/octet-stream"
                return web.Response(body=stored.content, content_type=content_type)
        raise web.HTTPNotFound()
