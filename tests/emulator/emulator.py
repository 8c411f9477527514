"""`TelegramEmulator`: a real, local HTTP server speaking the Telegram Bot API.

Point python-telegram-bot at it (`base_url`/`base_file_url`, or `TELEGRAM_API_BASE_URL` for
the AKAR bot), inject what users do, and await what the bot sends. Everything runs on the
caller's event loop; waiting is event-driven, never sleep-and-poll.

    emulator = TelegramEmulator()
    await emulator.start()
    app = ApplicationBuilder().token("123456:TEST").base_url(emulator.base_url)...
    emulator.inject_text(42, "halo kak")
    [reply] = await emulator.wait_for_sent(42)
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Self

from aiohttp import web

from tests.emulator import objects
from tests.emulator.control import ControlApi
from tests.emulator.faults import FaultRule, RateLimiter
from tests.emulator.inject import Injector
from tests.emulator.records import ApiCall, SentMessage
from tests.emulator.server import MAX_UPLOAD, BotApi
from tests.emulator.state import EmulatorState, commands_key
from tests.emulator.webhook import WebhookDelivery

JSON = dict[str, Any]


class TelegramEmulator(Injector):
    def __init__(
        self,
        *,
        bot_username: str = objects.BOT_USERNAME,
        bot_first_name: str = objects.BOT_FIRST_NAME,
        strict_html: bool = True,
    ) -> None:
        """`strict_html=False` accepts a bare "&" in HTML like Telegram does (see html_check)."""
        self.state = EmulatorState(bot_username, bot_first_name, strict_html)
        self._runner: web.AppRunner | None = None
        self._webhook = WebhookDelivery(self.state)
        self._root = ""

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> Self:
        """Listen on `host:port` (0 picks a free port); returns self for chaining."""
        if self._runner is not None:
            raise RuntimeError("emulator already started")
        self.state.changed.bind(asyncio.get_running_loop())
        self.state.closing = False
        app = web.Application(client_max_size=MAX_UPLOAD)
        BotApi(self.state).add_routes(app)
        ControlApi(self).add_routes(app)
        runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_host, bound_port = runner.addresses[0][:2]
        self._root = f"http://{_url_host(bound_host)}:{bound_port}"
        self._runner = runner
        await self._webhook.start()
        return self

    async def stop(self) -> None:
        """Stop serving; waiting long polls return at once so clients shut down quickly."""
        if self._runner is None:
            return
        self.state.closing = True
        self.state.changed.notify()
        await self._webhook.stop()
        await self._runner.cleanup()
        self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """The server root, e.g. http://127.0.0.1:8081."""
        if not self._root:
            raise RuntimeError("emulator not started")
        return self._root

    @property
    def base_url(self) -> str:
        """For PTB's `base_url` / TELEGRAM_API_BASE_URL: the token and method are appended."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    @property
    def control_url(self) -> str:
        return f"{self.url}/_emulator"

    # --- records -----------------------------------------------------------------------------

    @property
    def sent(self) -> list[SentMessage]:
        """Every message the bot sent successfully, in order."""
        return self.state.sent

    @property
    def calls(self) -> list[ApiCall]:
        """Every Bot API call, including failed ones and getUpdates."""
        return self.state.calls

    @property
    def pending_updates(self) -> list[JSON]:
        """Updates injected but not yet confirmed by the bot."""
        return list(self.state.updates)

    def sent_to(self, chat_id: int, since: int = 0) -> list[SentMessage]:
        return [m for m in self.state.sent[since:] if m.chat_id == chat_id]

    def calls_of(self, method: str, since: int = 0) -> list[ApiCall]:
        return [c for c in self.state.calls[since:] if c.method.lower() == method.lower()]

    def message(self, chat_id: int, message_id: int) -> JSON | None:
        """A message as it is now (after the bot's edits), or None if deleted/unknown."""
        return self.state.messages.get((chat_id, message_id))

    def commands(self, language_code: str = "") -> list[JSON]:
        """The command menu set with setMyCommands for the default scope."""
        return self.state.commands.get(commands_key(None, language_code), [])

    def reset(self) -> None:
        """Forget records, chats and faults (update ids keep counting up)."""
        state = self.state
        for table in (state.sent, state.calls, state.updates):
            table.clear()
        for mapping in (state.users, state.chats, state.messages, state.last_message_id):
            mapping.clear()
        state.inject_marks.clear()
        state.callback_queries.clear()
        state.faults.clear()
        state.changed.notify()

    # --- waiting -----------------------------------------------------------------------------

    def mark(self, chat_id: int) -> int:
        """Index into `sent` that `wait_for_sent(chat_id)` counts from by default."""
        found = self.state.inject_marks.get(chat_id)
        return found.sent if found else 0

    async def wait_for_sent(
        self,
        chat_id: int,
        count: int = 1,
        timeout: float = 10.0,
        after: int | None = None,
    ) -> list[SentMessage]:
        """Wait until the bot sent at least `count` messages to `chat_id` since `after` (an
        index into `sent`; default: since the last update injected for that chat) and return
        all of them. Raises TimeoutError describing what the bot did instead."""
        chat_id = int(chat_id)
        start = self.mark(chat_id) if after is None else after

        def ready() -> list[SentMessage] | None:
            found = self.sent_to(chat_id, start)
            return found if len(found) >= count else None

        try:
            return await self.state.changed.wait_for(ready, timeout)
        except TimeoutError:
            raise TimeoutError(self._explain_missing(chat_id, count, start, timeout)) from None

    async def wait_for_polling(
        self,
        timeout: float = 10.0,
    ) -> None:
        """Wait until a getUpdates long poll is being held open, i.e. the bot is listening."""
        await self.state.changed.wait_for(
            lambda: True if self.state.polls_waiting else None, timeout
        )

    async def wait_for_call(
        self,
        method: str,
        predicate: Callable[[ApiCall], bool] | None = None,
        timeout: float = 10.0,
        since: int = 0,
    ) -> ApiCall:
        """The first call of `method` (failed ones included) from index `since` on that
        satisfies `predicate`, waiting for it if needed."""

        def ready() -> ApiCall | None:
            for call in self.calls_of(method, since):
                if predicate is None or predicate(call):
                    return call
            return None

        try:
            return await self.state.changed.wait_for(ready, timeout)
        except TimeoutError:
            seen = [_describe_call(c) for c in self.calls_of(method, since)]
            raise TimeoutError(
                f"no matching {method} call within {timeout}s; {method} calls seen: "
                + ("\n  " + "\n  ".join(seen) if seen else "none")
            ) from None

    def _explain_missing(self, chat_id: int, count: int, start: int, timeout: float) -> str:
        got = self.sent_to(chat_id, start)
        mark = self.state.inject_marks.get(chat_id)
        calls = [
            c
            for c in self.state.calls[mark.calls if mark else 0 :]
            if c.chat_id == chat_id and c.method != "getUpdates"
        ]
        lines = [
            f"expected {count} message(s) to chat {chat_id} within {timeout}s "
            f"(counting from sent index {start}), got {len(got)}",
            *(f"  sent: {m.summary()}" for m in got),
            *(f"  call: {_describe_call(c)}" for c in calls if not c.ok),
        ]
        if self.state.updates:
            lines.append(f"  {len(self.state.updates)} update(s) never fetched by the bot")
        others = [m.summary() for m in self.state.sent[start:] if m.chat_id != chat_id][-5:]
        lines.extend(f"  sent elsewhere: {s}" for s in others)
        return "\n".join(lines)

    # --- faults ------------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int = 429,
        retry_after: int = 2,
        times: int = 1,
        chat_id: int | None = None,
        description: str | None = None,
    ) -> None:
        """Make the next `times` calls of `method` ("*" = any) fail with `status`; for 429 the
        response carries `retry_after`. Telegram's usual description unless given."""
        rule = FaultRule(method, status, description, retry_after, times, chat_id)
        self.state.faults.rules.append(rule)

    def delay_next(
        self, method: str, seconds: float, times: int = 1, chat_id: int | None = None
    ) -> None:
        """Answer the next `times` calls of `method` only after `seconds` (to test timeouts)."""
        rule = FaultRule(method, 200, None, None, times, chat_id, delay=seconds)
        self.state.faults.rules.append(rule)

    def block_chat(self, chat_id: int) -> None:
        """The user blocked the bot: calls to this chat get 403 until unblocked."""
        self.state.faults.blocked.add(int(chat_id))

    def unblock_chat(self, chat_id: int) -> None:
        self.state.faults.blocked.discard(int(chat_id))

    def fail_chat_not_found(self, chat_id: int) -> None:
        """The chat is gone (deleted account): calls to it get 400 "chat not found"."""
        self.state.faults.missing.add(int(chat_id))

    def restore_chat(self, chat_id: int) -> None:
        self.state.faults.missing.discard(int(chat_id))

    def set_rate_limit(self, per_second: float | None) -> None:
        """At most `per_second` new messages per second across all chats, then 429s with
        retry_after (None switches the limit off)."""
        self.state.faults.rate_limiter = RateLimiter(per_second) if per_second else None

    def clear_faults(self) -> None:
        self.state.faults.clear()


def _describe_call(call: ApiCall) -> str:
    outcome = "ok" if call.ok else f"{call.status} {call.description}"
    text = call.params.get("text") or call.params.get("caption")
    shown = f" text={str(text)[:60]!r}" if text else ""
    return f"#{call.index} {call.method} chat={call.params.get('chat_id')}{shown} -> {outcome}"


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
