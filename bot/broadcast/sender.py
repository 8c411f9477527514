"""Works through the outbox within Telegram's limits.

Its own `telegram.Bot` (no PTB rate limiter): a 429 pauses only the broadcast, never the
sellers' conversations, which run on the Application's bot. Global rate: a sliding one-second
pacing (default 25 messages/s, evenly spaced: limiter.py); per chat at most one message per second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.broadcast import outbox
from bot.broadcast.limiter import PacedLimiter
from bot.db.models import Broadcast, BroadcastDelivery, Seller, utcnow

log = logging.getLogger(__name__)

FOOTER: Final = "\n\n—\nTidak ingin menerima siaran lagi? Ketik /berhenti."
DEFAULT_RATE: Final = 25.0
PAID_RATE: Final = 1000.0  # allow_paid_broadcast: Telegram bills each message above the free limit
STALE_CLAIM: Final = timedelta(minutes=2)
BACKOFF_SECONDS: Final = 2.0


@dataclass(frozen=True)
class Outcome:
    status: str  # sent, blocked, failed, pending (retry)
    message_id: int | None = None
    error: str | None = None
    retry_in: float = 0.0
    counts_attempt: bool = True


class BroadcastSender:
    def __init__(
        self,
        bot: Bot,
        sessions: sessionmaker[Session],
        *,
        rate: float = DEFAULT_RATE,
        per_chat_interval: float = 1.0,
        concurrency: int = 32,
        allow_paid_broadcast: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._bot = bot
        self._sessions = sessions
        self.rate = rate
        self._limiter = PacedLimiter(rate)
        self._per_chat_interval = per_chat_interval
        self._last_by_chat: dict[int, float] = {}
        self._paused_until = 0.0
        self._slots = asyncio.Semaphore(concurrency)
        self._clock = clock
        self._texts: dict[int, tuple[str, InlineKeyboardMarkup | None]] = {}
        self._paid = allow_paid_broadcast

    # --- database steps (each one short transaction in a worker thread) ---------------------

    def _recover(self) -> int:
        with self._sessions.begin() as session:
            return outbox.recover(session, STALE_CLAIM)

    def _claim(self, limit: int) -> list[tuple[int, int, int, int]]:
        with self._sessions.begin() as session:
            outbox.start_due(session)
            rows = outbox.claim(session, limit)
            result = [(r.id, r.broadcast_id, r.chat_id, r.attempts) for r in rows]
            if not result:
                outbox.finish_done(session)
            return result

    def _broadcast_text(self, broadcast_id: int) -> tuple[str, InlineKeyboardMarkup | None]:
        if broadcast_id not in self._texts:
            with self._sessions.begin() as session:
                broadcast = session.get(Broadcast, broadcast_id)
                assert broadcast is not None
                markup = None
                if broadcast.module_key:
                    button = InlineKeyboardButton(
                        "📚 Buka modul", callback_data=f"m:{broadcast.module_key}"
                    )
                    markup = InlineKeyboardMarkup([[button]])
                self._texts[broadcast_id] = (broadcast.text + FOOTER, markup)
        return self._texts[broadcast_id]

    def _record(self, delivery_id: int, outcome: Outcome) -> None:
        with self._sessions.begin() as session:
            row = session.get(BroadcastDelivery, delivery_id)
            if row is None:
                return
            row.error = outcome.error
            if outcome.status == "pending":
                row.status = "pending"
                row.next_attempt_at = utcnow() + timedelta(seconds=outcome.retry_in)
                if not outcome.counts_attempt:
                    row.attempts = max(0, row.attempts - 1)
                return
            row.status = outcome.status
            if outcome.status == "sent":
                row.sent_at, row.telegram_message_id = utcnow(), outcome.message_id
            if outcome.status == "blocked":
                seller = session.get(Seller, row.seller_id)
                if seller is not None:
                    seller.is_active, seller.blocked_at = False, utcnow()

    # --- sending ----------------------------------------------------------------------------

    async def _wait_turn(self, chat_id: int) -> None:
        # A deadline other tasks may push back (each 429 extends it), not an event to wait for.
        while (pause := self._paused_until - self._clock()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(pause)
        last = self._last_by_chat.get(chat_id)
        if last is not None and (gap := self._per_chat_interval - (self._clock() - last)) > 0:
            await asyncio.sleep(gap)
        await self._limiter.acquire()
        self._last_by_chat[chat_id] = self._clock()

    async def _send(self, delivery_id: int, broadcast_id: int, chat_id: int, attempt: int) -> None:
        async with self._slots:
            text, markup = await asyncio.to_thread(self._broadcast_text, broadcast_id)
            await self._wait_turn(chat_id)
            outcome = await self._attempt(chat_id, text, markup, attempt)
            await asyncio.to_thread(self._record, delivery_id, outcome)

    async def _attempt(
        self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None, attempt: int
    ) -> Outcome:
        try:
            message = await self._bot.send_message(
                chat_id, text, reply_markup=markup, allow_paid_broadcast=self._paid or None
            )
            return Outcome("sent", message_id=message.message_id)
        except RetryAfter as exc:
            wait = (
                exc.retry_after
                if isinstance(exc.retry_after, int | float)
                else exc.retry_after.total_seconds()
            )
            self._paused_until = max(self._paused_until, self._clock() + float(wait))
            log.warning("broadcast: 429, pausing the sender for %ss", wait)
            return Outcome("pending", error="429", retry_in=float(wait), counts_attempt=False)
        except Forbidden as exc:
            return Outcome("blocked", error=str(exc))
        except BadRequest as exc:
            return Outcome("failed", error=str(exc))
        except NetworkError as exc:  # includes TimedOut
            if attempt >= outbox.MAX_ATTEMPTS:
                return Outcome("failed", error=f"network: {exc}")
            return Outcome("pending", error=str(exc), retry_in=BACKOFF_SECONDS * 2 ** (attempt - 1))
        except TelegramError as exc:
            return Outcome("failed", error=str(exc))

    async def step(self) -> int:
        """Claims and sends one batch; returns how many rows it handled (0 = nothing due)."""
        batch = await asyncio.to_thread(self._claim, max(1, int(self.rate)))
        if batch:
            await asyncio.gather(*(self._send(*row) for row in batch))
        return len(batch)

    async def run_until_idle(self, *, poll: float = 0.2) -> None:
        """Sends everything that is due, waiting out retries, then returns (CLI and tests)."""
        await asyncio.to_thread(self._recover)
        while True:
            if await self.step():
                continue
            if not await asyncio.to_thread(self._has_open_rows):
                return
            await asyncio.sleep(poll)

    async def run_forever(self, stop: asyncio.Event, *, poll: float = 1.0) -> None:
        """Inside `akar run`: keeps sending scheduled broadcasts until `stop` is set."""
        await asyncio.to_thread(self._recover)
        while not stop.is_set():
            try:
                if await self.step():
                    continue
            except Exception:  # a broken broadcast must not take the bot down
                log.exception("broadcast sender step failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=poll)

    def _has_open_rows(self) -> bool:
        with self._sessions.begin() as session:
            outbox.start_due(session)
            open_row = session.scalar(
                select(BroadcastDelivery.id)
                .where(BroadcastDelivery.status.in_(("pending", "sending")))
                .limit(1)
            )
            if open_row is None:
                outbox.finish_done(session)
            return open_row is not None
