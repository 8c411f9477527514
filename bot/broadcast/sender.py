"""Works through the outbox within Telegram's limits.

Its own `telegram.Bot` (no PTB rate limiter): a 429 pauses only the broadcast, never the
sellers' conversations, which run on the Application's bot. Global rate: a sliding one-second
pacing (default 25 messages/s, evenly spaced: limiter.py); per chat at most one message per second.
With REDIS_URL the pace, the per-chat spacing and 429 pauses are shared by every sender process
(shared_limiter.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot, Message
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.broadcast import drip, outbox, reports
from bot.broadcast.limiter import PacedLimiter
from bot.broadcast.message import FOOTER, BroadcastContent
from bot.broadcast.shared_limiter import RedisPacedLimiter
from bot.config import FREE_BROADCAST_RATE
from bot.db.models import Broadcast, BroadcastDelivery, Seller, utcnow
from bot.delivery import keyboard_for
from bot.observability import metrics
from bot.rendering import OutgoingMessage

log = logging.getLogger(__name__)

__all__ = ["FOOTER", "BroadcastSender"]
DEFAULT_RATE: Final = FREE_BROADCAST_RATE
STALE_CLAIM: Final = timedelta(minutes=2)
BACKOFF_SECONDS: Final = 2.0
RECOVER_EVERY: Final = 30.0  # seconds between passes returning stale claims to the queue
MAX_IN_FLIGHT: Final = 200  # under the Bot's HTTP connection pool (256), or requests queue up
DRIP_EVERY: Final = 60.0  # seconds between drip-series scheduling passes
PROGRESS_EVERY: Final = 3.0  # seconds between edits of a trainer's progress message
# While the database is unreachable (a restart, a failover): the first retry comes after
# OUTAGE_BACKOFF seconds, then doubles up to OUTAGE_BACKOFF_MAX. `run_until_idle` (the CLI)
# gives up after OUTAGE_LIMIT; `run_forever` (the bot, `akar broadcast serve`) never does.
OUTAGE_BACKOFF: Final = 0.5
OUTAGE_BACKOFF_MAX: Final = 5.0
OUTAGE_LIMIT: Final = 300.0


def is_database_outage(exc: BaseException) -> bool:
    """True for a lost or refused database connection (worth waiting out), not a bug in SQL."""
    if isinstance(exc, OperationalError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


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
        concurrency: int | None = None,
        allow_paid_broadcast: bool = False,
        clock: Callable[[], float] = time.monotonic,
        limiter: PacedLimiter | RedisPacedLimiter | None = None,
    ) -> None:
        self._bot = bot
        self._sessions = sessions
        self.rate = rate
        # shared_limiter.make_limiter: the Redis-backed pace when REDIS_URL is set.
        self._limiter = limiter or PacedLimiter(rate)
        self._per_chat_interval = per_chat_interval
        self._last_by_chat: dict[int, float] = {}
        self._paused_until = 0.0
        # Enough requests in flight for the rate at ~100 ms per Bot API call.
        self._slots = asyncio.Semaphore(
            concurrency or min(MAX_IN_FLIGHT, max(32, math.ceil(rate / 10)))
        )
        self._clock = clock
        self._messages: dict[int, OutgoingMessage] = {}
        self._next_report = 0.0
        self._next_drip = 0.0
        self._next_recover = 0.0
        self._announced: set[int] = set()
        self._paid = allow_paid_broadcast
        self._stop: asyncio.Event | None = None  # run_forever's: ends a wait for the database
        metrics.broadcast_rate_limit(rate)

    # --- database steps (each one short transaction in a worker thread) ---------------------

    def _recover(self) -> int:
        with self._sessions.begin() as session:
            return outbox.recover(session, STALE_CLAIM)

    def _claim(self, limit: int) -> list[tuple[int, int, int, int]]:
        with self._sessions.begin() as session:
            if self._clock() >= self._next_recover:
                # Not only at start: a sender restarted right after a crash finds the dead
                # one's claims still fresh, and they must not stay `sending` forever.
                self._next_recover = self._clock() + RECOVER_EVERY
                outbox.recover(session, STALE_CLAIM)
            outbox.start_due(session)
            if self._clock() >= self._next_drip:
                # Drip steps fall due at a local hour; checking once a minute is plenty.
                self._next_drip = self._clock() + DRIP_EVERY
                drip.schedule_due(session)
            rows = outbox.claim(session, limit)
            result = [(r.id, r.broadcast_id, r.chat_id, r.attempts) for r in rows]
            if not result:
                outbox.finish_done(session)
            return result

    def _broadcast_message(self, broadcast_id: int) -> OutgoingMessage:
        if broadcast_id not in self._messages:
            with self._sessions.begin() as session:
                broadcast = session.get(Broadcast, broadcast_id)
                assert broadcast is not None
                self._messages[broadcast_id] = BroadcastContent.of(broadcast).outgoing()
        return self._messages[broadcast_id]

    def _record(self, outcomes: list[tuple[int, Outcome]]) -> None:
        """A batch's outcomes in one transaction: one commit per batch, not per message, is
        what lets the engine go well past Telegram's free rate. A crash before this commit
        leaves the batch `sending`, to be sent again: the documented duplicate bound."""
        now = utcnow()
        with self._sessions.begin() as session:
            rows = {
                row.id: row
                for row in session.scalars(
                    select(BroadcastDelivery).where(
                        BroadcastDelivery.id.in_([delivery_id for delivery_id, _ in outcomes])
                    )
                )
            }
            blocked: list[int] = []
            for delivery_id, outcome in outcomes:
                row = rows.get(delivery_id)
                if row is None:
                    continue
                row.error = outcome.error
                if outcome.status == "pending":
                    row.status = "pending"
                    row.next_attempt_at = now + timedelta(seconds=outcome.retry_in)
                    if not outcome.counts_attempt:
                        row.attempts = max(0, row.attempts - 1)
                    continue
                row.status = outcome.status
                if outcome.status == "sent":
                    row.sent_at, row.telegram_message_id = now, outcome.message_id
                if outcome.status == "blocked":
                    blocked.append(row.seller_id)
            if blocked:
                session.execute(
                    update(Seller)
                    .where(Seller.id.in_(blocked))
                    .values(is_active=False, blocked_at=now)
                )

    # --- sending ----------------------------------------------------------------------------

    async def _wait_turn(self, chat_id: int) -> None:
        # A deadline other tasks may push back (each 429 extends it), not an event to wait for.
        while (pause := self._paused_until - self._clock()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(pause)
        if isinstance(self._limiter, RedisPacedLimiter):  # per chat and 429s across senders
            await self._limiter.turn(chat_id, self._per_chat_interval)
            return
        last = self._last_by_chat.get(chat_id)
        if last is not None and (gap := self._per_chat_interval - (self._clock() - last)) > 0:
            await asyncio.sleep(gap)
        await self._limiter.acquire()
        self._last_by_chat[chat_id] = self._clock()

    async def aclose(self) -> None:
        """Closes the shared limiter's Redis connection, if any."""
        if isinstance(self._limiter, RedisPacedLimiter):
            await self._limiter.aclose()

    async def _send(
        self, delivery_id: int, broadcast_id: int, chat_id: int, attempt: int
    ) -> tuple[int, Outcome]:
        async with self._slots:
            message = self._messages.get(broadcast_id)
            if message is None:
                message = await asyncio.to_thread(self._broadcast_message, broadcast_id)
            await self._wait_turn(chat_id)
            return delivery_id, await self._attempt(chat_id, message, attempt)

    async def _deliver(self, chat_id: int, message: OutgoingMessage) -> Message:
        markup = keyboard_for(message)
        paid = self._paid or None
        if message.media is not None:
            photo = message.media.kind == "photo"
            send = self._bot.send_photo if photo else self._bot.send_document
            return await send(
                chat_id,
                message.media.file_id,
                caption=message.text,
                parse_mode=message.parse_mode,
                reply_markup=markup,
                allow_paid_broadcast=paid,
            )
        return await self._bot.send_message(
            chat_id,
            message.text,
            parse_mode=message.parse_mode,
            reply_markup=markup,
            allow_paid_broadcast=paid,
        )

    async def _attempt(self, chat_id: int, message: OutgoingMessage, attempt: int) -> Outcome:
        try:
            sent = await self._deliver(chat_id, message)
            return Outcome("sent", message_id=sent.message_id)
        except RetryAfter as exc:
            metrics.telegram_error("broadcast", exc)
            wait = (
                exc.retry_after
                if isinstance(exc.retry_after, int | float)
                else exc.retry_after.total_seconds()
            )
            self._paused_until = max(self._paused_until, self._clock() + float(wait))
            if isinstance(self._limiter, RedisPacedLimiter):  # every sender waits it out
                await self._limiter.pause(float(wait))
            log.warning("broadcast: 429, pausing the sender for %ss", wait)
            return Outcome("pending", error="429", retry_in=float(wait), counts_attempt=False)
        except Forbidden as exc:
            metrics.telegram_error("broadcast", exc)
            return Outcome("blocked", error=str(exc))
        except BadRequest as exc:
            metrics.telegram_error("broadcast", exc)
            return Outcome("failed", error=str(exc))
        except NetworkError as exc:  # includes TimedOut
            metrics.telegram_error("broadcast", exc)
            if attempt >= outbox.MAX_ATTEMPTS:
                return Outcome("failed", error=f"network: {exc}")
            return Outcome("pending", error=str(exc), retry_in=BACKOFF_SECONDS * 2 ** (attempt - 1))
        except TelegramError as exc:
            metrics.telegram_error("broadcast", exc)
            return Outcome("failed", error=str(exc))

    # --- the trainer's progress message and final report ----------------------------------

    def _pending_reports(self) -> list[tuple[int, int | None, outbox.Report]]:
        """(chat, progress message id, report) of each broadcast whose trainer awaits news."""
        with self._sessions.begin() as session:
            waiting = session.scalars(
                select(Broadcast).where(
                    Broadcast.report_chat_id.is_not(None),
                    Broadcast.reported_at.is_(None),
                    Broadcast.status.in_(("sending", "done", "cancelled")),
                )
            ).all()
            result = []
            for broadcast in waiting:
                report = outbox.report(session, broadcast.id)
                assert report is not None and broadcast.report_chat_id is not None
                result.append((broadcast.report_chat_id, broadcast.report_message_id, report))
            return result

    def _save_report_state(
        self, broadcast_id: int, *, message_id: int | None = None, reported: bool = False
    ) -> None:
        with self._sessions.begin() as session:
            broadcast = session.get(Broadcast, broadcast_id)
            if broadcast is None:
                return
            if message_id is not None:
                broadcast.report_message_id = message_id
            if reported:
                broadcast.reported_at = utcnow()

    async def _report_one(
        self, chat_id: int, message_id: int | None, report: outbox.Report
    ) -> None:
        broadcast_id = report.broadcast_id
        if report.status == "sending":
            text = reports.progress_text(report, utcnow())
            markup = keyboard_for(OutgoingMessage(text, ((reports.stop_button(broadcast_id),),)))
            await self._wait_turn(chat_id)
            if message_id is None:
                sent = await self._bot.send_message(chat_id, text, reply_markup=markup)
                await asyncio.to_thread(
                    self._save_report_state, broadcast_id, message_id=sent.message_id
                )
                return
            with contextlib.suppress(BadRequest):  # "message is not modified": nothing new
                await self._bot.edit_message_text(
                    text, chat_id=chat_id, message_id=message_id, reply_markup=markup
                )
            return
        if message_id is not None:
            await self._wait_turn(chat_id)
            with contextlib.suppress(BadRequest):
                await self._bot.edit_message_text(
                    f"📣 Siaran #{broadcast_id}: pengiriman berakhir. Laporannya di bawah.",
                    chat_id=chat_id,
                    message_id=message_id,
                )
        await self._wait_turn(chat_id)
        await self._bot.send_message(chat_id, reports.final_text(report))
        await asyncio.to_thread(self._save_report_state, broadcast_id, reported=True)

    async def report_progress(self, *, force: bool = False) -> None:
        """Edits progress messages every PROGRESS_EVERY seconds; sends final reports."""
        if not force and self._clock() < self._next_report:
            return
        self._next_report = self._clock() + PROGRESS_EVERY
        try:
            pending = await asyncio.to_thread(self._pending_reports)
        except (OperationalError, DBAPIError) as exc:
            if not is_database_outage(exc):
                raise
            # Progress is not worth holding a claimed batch back for; the next pass catches up.
            log.warning("broadcast: progress reports skipped, database unavailable: %s", exc)
            return
        for chat_id, message_id, report in pending:
            try:
                await self._report_one(chat_id, message_id, report)
            except Forbidden:  # the trainer blocked the bot: stop reporting to them
                await asyncio.to_thread(self._save_report_state, report.broadcast_id, reported=True)
            except TelegramError as exc:  # a report is never worth stopping the broadcast for
                log.warning("broadcast %s: report not delivered: %s", report.broadcast_id, exc)
            except (OperationalError, DBAPIError) as exc:  # saving the report state
                if not is_database_outage(exc):
                    raise
                log.warning("broadcast %s: report state not saved: %s", report.broadcast_id, exc)

    async def step(self) -> int:
        """Claims and sends one batch; returns how many rows it handled (0 = nothing due)."""
        batch = await asyncio.to_thread(self._claim, max(1, int(self.rate)))
        if batch:
            # A broadcast seen for the first time gets its progress message before sending.
            new = {row[1] for row in batch} - self._announced
            self._announced |= new
            await self.report_progress(force=bool(new))
            outcomes = await asyncio.gather(*(self._send(*row) for row in batch))
            metrics.broadcast_outcomes(outcome.status for _, outcome in outcomes)
            await self._record_until_stored(list(outcomes))
        await self.report_progress(force=not batch)
        return len(batch)

    async def _record_until_stored(self, outcomes: list[tuple[int, Outcome]]) -> None:
        """Record a sent batch, waiting out a database outage: these messages are already with
        Telegram, and outcomes dropped here would have the batch sent again after recovery.
        Gives up (raises) once the claim is stale, when `outbox.recover` may hand the rows to a
        sender anyway, or when the sender is told to stop: then the rows are sent again after
        recovery, the documented bound (at most the claimed batch twice)."""
        give_up = self._clock() + STALE_CLAIM.total_seconds()
        delay = OUTAGE_BACKOFF
        while True:
            try:
                await asyncio.to_thread(self._record, outcomes)
            except (OperationalError, DBAPIError) as exc:
                stopping = self._stop is not None and self._stop.is_set()
                if not is_database_outage(exc) or stopping or self._clock() + delay >= give_up:
                    log.error(
                        "broadcast: the outcomes of %d sent messages could not be recorded; "
                        "they stay claimed and are sent again after recovery",
                        len(outcomes),
                    )
                    raise
                log.warning(
                    "broadcast: database unavailable, the outcomes of %d sent messages are "
                    "kept; retrying in %.1fs: %s",
                    len(outcomes),
                    delay,
                    exc,
                )
                if self._stop is None:
                    await asyncio.sleep(delay)
                else:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stop.wait(), timeout=delay)
                delay = min(delay * 2, OUTAGE_BACKOFF_MAX)
                continue
            if delay > OUTAGE_BACKOFF:
                log.info("broadcast: database is back; %d outcomes recorded", len(outcomes))
            return

    async def run_until_idle(self, *, poll: float = 0.2) -> None:
        """Sends everything that is due, waiting out retries, then returns (CLI and tests).
        A database outage is waited out for up to OUTAGE_LIMIT seconds, then raised."""
        outage, recovered = _Outage(), False
        while True:
            try:
                if not recovered:
                    await asyncio.to_thread(self._recover)
                    recovered = True
                if await self.step():
                    outage.over()
                    continue
                if not await asyncio.to_thread(self._has_open_rows):
                    await self.report_progress(force=True)  # the final reports
                    return
                outage.over()
            except (OperationalError, DBAPIError) as exc:
                if not is_database_outage(exc):
                    raise
                wait = outage.failed(exc, self._clock())
                if self._clock() - (outage.since or 0.0) > OUTAGE_LIMIT:
                    raise
                await asyncio.sleep(wait)
                continue
            await asyncio.sleep(poll)

    async def run_forever(self, stop: asyncio.Event, *, poll: float = 1.0) -> None:
        """Inside `akar run`: keeps sending scheduled broadcasts until `stop` is set. A database
        outage is logged once and waited out; any other failure is logged and retried."""
        outage = _Outage()
        self._stop = stop
        try:
            await asyncio.to_thread(self._recover)
        except Exception as exc:  # the first claim recovers as well, once the database answers
            log.warning("broadcast sender: recovering stale claims failed: %s", exc)
        while not stop.is_set():
            wait = poll
            try:
                if await self.step():
                    outage.over()
                    continue
                outage.over()
            except (OperationalError, DBAPIError) as exc:
                if is_database_outage(exc):
                    wait = max(poll, outage.failed(exc, self._clock()))
                else:
                    log.exception("broadcast sender step failed")
            except Exception:  # a broken broadcast must not take the bot down
                log.exception("broadcast sender step failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait)

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


class _Outage:
    """One warning when the database goes away, one line when it is back, and the backoff."""

    def __init__(self) -> None:
        self.since: float | None = None
        self._delay = OUTAGE_BACKOFF

    def failed(self, exc: BaseException, now: float) -> float:
        """Note a failed attempt; returns how long to wait before the next."""
        if self.since is None:
            self.since = now
            self._delay = OUTAGE_BACKOFF
            log.warning("broadcast sender: database unavailable, waiting for it: %s", exc)
        else:
            self._delay = min(self._delay * 2, OUTAGE_BACKOFF_MAX)
        return self._delay

    def over(self) -> None:
        if self.since is not None:
            log.info("broadcast sender: database is back, sending again")
            self.since = None
