"""Clients for the control HTTP API (/_emulator/), for an emulator in another process.

`EmulatorClient` is synchronous (scripts, subprocess tests); `AsyncEmulatorClient` is for
async code, including an emulator running on the same event loop, where a blocking client
would deadlock. Both return the same `SentMessage` / `ApiCall` objects as the in-process API.
Each request is described once (`_Request`) and run by either client.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Self

import httpx

from tests.emulator.records import ApiCall, SentMessage

JSON = dict[str, Any]


class ControlApiError(RuntimeError):
    """The control API refused a request."""


@dataclass
class _Request:
    verb: str
    path: str
    query: dict[str, Any] = field(default_factory=dict)
    body: JSON | None = None
    timeout: float | None = None

    def kwargs(self, default_timeout: float) -> dict[str, Any]:
        query = {key: value for key, value in self.query.items() if value is not None}
        return {
            "params": query,
            "json": self.body,
            "timeout": self.timeout if self.timeout is not None else default_timeout,
        }


def _root(url: str) -> str:
    """Accept the server root, the Bot API base_url or the control URL."""
    url = url.rstrip("/")
    for suffix in ("/_emulator", "/bot"):
        url = url.removesuffix(suffix)
    return url


def _parse(response: httpx.Response) -> Any:
    data = response.json()
    if response.status_code == 408:
        raise TimeoutError(data.get("description", "timed out"))
    if response.status_code != 200:
        description = data.get("description") if isinstance(data, dict) else data
        raise ControlApiError(f"{response.status_code}: {description}")
    return data


def _result(response: JSON) -> JSON:
    """The Message (or CallbackQuery) an inject returned."""
    result: JSON = response["result"]
    return result


class _Requests:
    """The control API's requests, independent of sync or async transport."""

    @staticmethod
    def health() -> _Request:
        return _Request("GET", "/health")

    @staticmethod
    def inject(kind: str, fields: JSON) -> _Request:
        return _Request("POST", "/inject", body={"type": kind, **fields})

    @staticmethod
    def sent(chat_id: int | None, since: int) -> _Request:
        return _Request("GET", "/sent", {"chat_id": chat_id, "since": since})

    @staticmethod
    def wait(chat_id: int, count: int, timeout: float, since: int | None) -> _Request:
        query = {"chat_id": chat_id, "count": count, "timeout": timeout, "since": since}
        return _Request("GET", "/wait", query, timeout=timeout + 5.0)

    @staticmethod
    def calls(method: str | None, since: int) -> _Request:
        return _Request("GET", "/calls", {"method": method, "since": since})

    @staticmethod
    def fault(action: str, fields: JSON) -> _Request:
        return _Request("POST", "/fault", body={"action": action, **fields})

    @staticmethod
    def reset() -> _Request:
        return _Request("POST", "/reset")


class EmulatorClient:
    """Blocking client: `EmulatorClient("http://127.0.0.1:8081").inject_text(42, "halo")`."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self._http = httpx.Client(base_url=f"{_root(url)}/_emulator")
        self._timeout = timeout

    def _run(self, request: _Request) -> Any:
        response = self._http.request(request.verb, request.path, **request.kwargs(self._timeout))
        return _parse(response)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def health(self) -> JSON:
        result: JSON = self._run(_Requests.health())
        return result

    def inject(self, kind: str, **fields: Any) -> JSON:
        """Returns {"result": <Message or CallbackQuery>, "since": <sent index to wait from>}."""
        result: JSON = self._run(_Requests.inject(kind, fields))
        return result

    def inject_text(self, user_id: int, text: str, **fields: Any) -> JSON:
        return _result(self.inject("text", user_id=user_id, text=text, **fields))

    def inject_command(self, user_id: int, command: str, **fields: Any) -> JSON:
        return _result(self.inject("command", user_id=user_id, command=command, **fields))

    def inject_callback(self, user_id: int, data: str, **fields: Any) -> JSON:
        return _result(self.inject("callback", user_id=user_id, data=data, **fields))

    def sent(self, chat_id: int | None = None, since: int = 0) -> list[SentMessage]:
        return [SentMessage.from_json(m) for m in self._run(_Requests.sent(chat_id, since))]

    def wait(
        self, chat_id: int, count: int = 1, timeout: float = 10.0, since: int | None = None
    ) -> list[SentMessage]:
        found = self._run(_Requests.wait(chat_id, count, timeout, since))
        return [SentMessage.from_json(m) for m in found]

    def calls(self, method: str | None = None, since: int = 0) -> list[ApiCall]:
        return [ApiCall.from_json(c) for c in self._run(_Requests.calls(method, since))]

    def fault(self, action: str, **fields: Any) -> None:
        """`action`: fail_next, delay_next, block_chat, unblock_chat, chat_not_found,
        restore_chat, rate_limit or clear, with the matching TelegramEmulator arguments."""
        self._run(_Requests.fault(action, fields))

    def reset(self) -> None:
        self._run(_Requests.reset())


class AsyncEmulatorClient:
    """The same API as `EmulatorClient`, awaitable."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self._http = httpx.AsyncClient(base_url=f"{_root(url)}/_emulator")
        self._timeout = timeout

    async def _run(self, request: _Request) -> Any:
        response = await self._http.request(
            request.verb, request.path, **request.kwargs(self._timeout)
        )
        return _parse(response)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def health(self) -> JSON:
        result: JSON = await self._run(_Requests.health())
        return result

    async def inject(self, kind: str, **fields: Any) -> JSON:
        result: JSON = await self._run(_Requests.inject(kind, fields))
        return result

    async def inject_text(self, user_id: int, text: str, **fields: Any) -> JSON:
        return _result(await self.inject("text", user_id=user_id, text=text, **fields))

    async def inject_command(self, user_id: int, command: str, **fields: Any) -> JSON:
        return _result(await self.inject("command", user_id=user_id, command=command, **fields))

    async def inject_callback(self, user_id: int, data: str, **fields: Any) -> JSON:
        return _result(await self.inject("callback", user_id=user_id, data=data, **fields))

    async def sent(self, chat_id: int | None = None, since: int = 0) -> list[SentMessage]:
        found = await self._run(_Requests.sent(chat_id, since))
        return [SentMessage.from_json(m) for m in found]

    async def wait(
        self,
        chat_id: int,
        count: int = 1,
        timeout: float = 10.0,
        since: int | None = None,
    ) -> list[SentMessage]:
        found = await self._run(_Requests.wait(chat_id, count, timeout, since))
        return [SentMessage.from_json(m) for m in found]

    async def calls(self, method: str | None = None, since: int = 0) -> list[ApiCall]:
        found = await self._run(_Requests.calls(method, since))
        return [ApiCall.from_json(c) for c in found]

    async def fault(self, action: str, **fields: Any) -> None:
        await self._run(_Requests.fault(action, fields))

    async def reset(self) -> None:
        await self._run(_Requests.reset())
