"""Fault injection: the failures a real bot meets (flood limits, blocked users, lost chats).

Checked before a method runs, in this order: one-shot rules from `fail_next`, then blocked
chats, then chats that do not exist, then the global rate limit. Each produces the exact
error Telegram would send, so the bot's real error handling is what gets tested.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from tests.emulator.errors import ApiError

#: Methods that put a new message into a chat: what Telegram's flood limits count.
MESSAGE_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendAudio",
        "sendVideo",
        "sendVoice",
        "sendSticker",
        "sendLocation",
        "sendContact",
        "sendMediaGroup",
        "copyMessage",
        "forwardMessage",
    }
)


@dataclass
class FaultRule:
    """Fail the next `remaining` calls of `method` (optionally only for one chat)."""

    method: str  # a Bot API method name, or "*" for any
    status: int
    description: str | None
    retry_after: int | None
    remaining: int
    chat_id: int | None = None
    delay: float = 0.0

    def matches(self, method: str, chat_id: int | None) -> bool:
        if self.method != "*" and self.method.lower() != method.lower():
            return False
        return self.chat_id is None or self.chat_id == chat_id

    def error(self) -> ApiError:
        return ApiError.for_status(self.status, self.description, self.retry_after)


class RateLimiter:
    """At most `per_second` messages in any one-second window, like Telegram's broadcast limit."""

    def __init__(self, per_second: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_second = per_second
        self._clock = clock
        self._stamps: deque[float] = deque()

    def check(self) -> ApiError | None:
        now = self._clock()
        while self._stamps and self._stamps[0] <= now - 1.0:
            self._stamps.popleft()
        if len(self._stamps) >= self.per_second:
            wait = max(1, math.ceil(self._stamps[0] + 1.0 - now))
            return ApiError.for_status(429, retry_after=wait)
        self._stamps.append(now)
        return None


class Faults:
    def __init__(self) -> None:
        self.rules: list[FaultRule] = []
        self.blocked: set[int] = set()
        self.missing: set[int] = set()
        self.rate_limiter: RateLimiter | None = None

    def clear(self) -> None:
        self.rules.clear()
        self.blocked.clear()
        self.missing.clear()
        self.rate_limiter = None

    def take_rule(self, method: str, chat_id: int | None) -> FaultRule | None:
        """The first matching one-shot rule, used up by one call."""
        for rule in self.rules:
            if rule.matches(method, chat_id):
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self.rules.remove(rule)
                return rule
        return None

    def standing_error(self, method: str, chat_id: int | None) -> ApiError | None:
        """Errors that hold until changed: blocked chats, missing chats, the rate limit."""
        if chat_id is not None and chat_id in self.blocked:
            return ApiError.for_status(403, "Forbidden: bot was blocked by the user")
        if chat_id is not None and chat_id in self.missing:
            return ApiError.bad_request("chat not found")
        if self.rate_limiter is not None and method in MESSAGE_METHODS:
            return self.rate_limiter.check()
        return None
