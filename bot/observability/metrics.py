"""The bot's and the broadcast sender's Prometheus metrics, and the hooks that update them.

Labels are small fixed sets (a kind of update, an outcome, an error type): never a chat id, a
name or any text, so a scrape holds no personal data and the number of series stays bounded.
Metrics live in prometheus-client's default registry, which also carries the process's CPU,
memory and open-file figures; `/metrics` on the health server (`health_server.py`) serves it.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from contextvars import ContextVar
from typing import Final

from prometheus_client import Counter, Gauge, Histogram
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

UPDATES_RECEIVED: Final = Counter(
    "akar_updates_received",
    "Telegram updates received, by kind (text, edited, command, button, photo, sticker, ...).",
    ["kind"],
)
REPLIES: Final = Counter(
    "akar_replies",
    "Messages the bot sent to sellers in answer to an update, by outcome (sent, blocked, failed).",
    ["outcome"],
)
REPLY_LATENCY: Final = Histogram(
    "akar_reply_latency_seconds",
    "From the moment the bot starts handling an update to its last reply sent to the seller.",
    buckets=(0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 7.5, 10.0, 15.0, 30.0),
)
NLU_CONFIDENCE: Final = Histogram(
    "akar_nlu_confidence",
    "Confidence of the NLU's best intent for typed messages (button payloads left out).",
    buckets=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0),
)
NLU_FALLBACKS: Final = Counter(
    "akar_nlu_fallbacks", "Typed messages the NLU was unsure about (intent nlu_fallback)."
)
CLARIFYING_QUESTIONS: Final = Counter(
    "akar_clarifying_questions",
    'Topic questions answered with "Maksud Kakak yang mana?" (two or three close answers '
    "offered as buttons) instead of a guess.",
)
RASA_ERRORS: Final = Counter(
    "akar_rasa_errors",
    "Failed requests to the Rasa server, by operation (message, tracker, domain, status, "
    "parse) and reason (connect, timeout, http_status, invalid_json, no_reply, other; busy: "
    "no turn within RASA_QUEUE_SECONDS).",
    ["operation", "reason"],
)
TELEGRAM_ERRORS: Final = Counter(
    "akar_telegram_errors",
    "Bot API calls that failed, by source (reply, notice, broadcast) and error type.",
    ["source", "error"],
)
HANDOFFS: Final = Counter(
    "akar_handoffs", "Sellers who asked for a person (a new handoff; repeats while paused not)."
)
BROADCAST_MESSAGES: Final = Counter(
    "akar_broadcast_messages",
    "Broadcast messages attempted, by outcome (sent, blocked, failed, retry).",
    ["outcome"],
)
BROADCAST_RATE: Final = Gauge(
    "akar_broadcast_send_rate",
    "Broadcast messages handed to Telegram per second, over the last 10 seconds.",
)
BROADCAST_RATE_LIMIT: Final = Gauge(
    "akar_broadcast_rate_limit",
    "The broadcast sender's configured pace in messages per second (0: no sender here).",
)

WEBHOOK_REQUESTS: Final = Counter(
    "akar_webhook_requests",
    "Telegram webhook POSTs, by outcome (accepted, duplicate, forbidden, invalid, unavailable).",
    ["outcome"],
)
INBOX_DEPTH: Final = Gauge(
    "akar_inbox_updates",
    "Updates in the webhook inbox (all processes), by state (pending, working).",
    ["state"],
)
INBOX_EVENTS: Final = Counter(
    "akar_inbox_events",
    "Webhook inbox trouble, by event (claim: the inbox could not be read; retried: an update "
    "failed on the database and waits for another try; failed: handling raised; dropped: an "
    "update given up after repeated crashes).",
    ["event"],
)

RATE_WINDOW: Final = 10.0


class RateMeter:
    """Events per second over a sliding window, computed when read (at scrape time)."""

    def __init__(self, window: float = RATE_WINDOW) -> None:
        self._window = window
        self._events: deque[tuple[float, int]] = deque()

    def add(self, count: int, now: float | None = None) -> None:
        self._events.append((time.monotonic() if now is None else now, count))

    def rate(self, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        while self._events and self._events[0][0] <= now - self._window:
            self._events.popleft()
        return sum(count for _, count in self._events) / self._window


_broadcast_meter = RateMeter()
BROADCAST_RATE.set_function(_broadcast_meter.rate)

# When the update being handled arrived (set per update task, read when its replies are sent).
_update_started: ContextVar[float | None] = ContextVar("akar_update_started", default=None)


def update_received(kind: str) -> None:
    """Counts the update and starts its reply-latency clock (in the update's own task)."""
    UPDATES_RECEIVED.labels(kind).inc()
    _update_started.set(time.perf_counter())


def reply_outcome(outcome: str) -> None:
    REPLIES.labels(outcome).inc()


def turn_answered() -> None:
    """The update's last reply has gone out: observe the latency if an update started it
    (a desk reply or a test calling the delivery code directly has no clock)."""
    started = _update_started.get()
    if started is not None:
        REPLY_LATENCY.observe(time.perf_counter() - started)


def telegram_error_type(exc: TelegramError) -> str:
    # Subclasses before their parents: BadRequest and TimedOut are NetworkErrors in PTB.
    for cls, name in (
        (Forbidden, "forbidden"),
        (RetryAfter, "retry_after"),
        (ChatMigrated, "chat_migrated"),
        (InvalidToken, "invalid_token"),
        (BadRequest, "bad_request"),
        (TimedOut, "timed_out"),
        (NetworkError, "network"),
    ):
        if isinstance(exc, cls):
            return name
    return "other"


def telegram_error(source: str, exc: TelegramError) -> None:
    TELEGRAM_ERRORS.labels(source, telegram_error_type(exc)).inc()


def nlu_read(
    intent: str | None, confidence: float | None, ranking: Sequence[Mapping[str, object]]
) -> None:
    """A typed message's NLU result. The confidence observed is that of the best real intent:
    when the fallback classifier steps in, `nlu_fallback` carries a confidence of its own."""
    if intent == "nlu_fallback":
        NLU_FALLBACKS.inc()
    best = [
        float(c)
        for entry in ranking
        if entry.get("name") != "nlu_fallback"
        and isinstance(c := entry.get("confidence"), int | float)
        and not isinstance(c, bool)
    ]
    if best:
        NLU_CONFIDENCE.observe(max(best))
    elif confidence is not None and intent != "nlu_fallback":
        NLU_CONFIDENCE.observe(confidence)


def clarifying_question() -> None:
    CLARIFYING_QUESTIONS.inc()


def rasa_error(operation: str, reason: str) -> None:
    RASA_ERRORS.labels(operation, reason).inc()


def handoff_started() -> None:
    HANDOFFS.inc()


def broadcast_outcomes(statuses: Iterable[str]) -> None:
    """One batch's outcomes (`pending` means it will be retried)."""
    handed = 0
    for status in statuses:
        BROADCAST_MESSAGES.labels("retry" if status == "pending" else status).inc()
        handed += 1
    _broadcast_meter.add(handed)


def broadcast_rate_limit(per_second: float) -> None:
    BROADCAST_RATE_LIMIT.set(per_second)
