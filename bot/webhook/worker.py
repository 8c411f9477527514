"""Claims updates from the webhook inbox and hands them to the bot, one per chat at a time.

Each process runs one `InboxWorker`. It claims as many updates as it has free slots, handles
them concurrently (different chats), deletes each row once handled, and claims again at once;
with nothing to do it waits for its own ingress to announce an update or for a short poll
interval (updates received by other processes). Leases make a crash harmless: the rows of a
dead worker go back to pending when their lease expires, and are handled again (at least once,
never lost). A database outage only pauses the loop: claims are retried with a back-off.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.observability import metrics
from bot.webhook import inbox

log = logging.getLogger(__name__)

Handle = Callable[[inbox.JSON], Awaitable[None]]
TransientNotice = Callable[[int], Awaitable[None]]

DEFAULT_CONCURRENCY = 64
DEFAULT_LEASE_SECONDS = 60.0
DEFAULT_POLL_SECONDS = 0.2
MAX_ATTEMPTS = 5
RETRY_DELAY = timedelta(seconds=2)
MAX_RETRY_DELAY = timedelta(seconds=60)


def retry_delay(failures_so_far: int) -> timedelta:
    """2 s, 4 s, 8 s ... up to a minute between tries while the database keeps failing."""
    return min(RETRY_DELAY * (1 << min(failures_so_far, 10)), MAX_RETRY_DELAY)


MAX_BACKOFF_SECONDS = 5.0


@dataclass
class Attempt:
    """What went wrong while one update was handled (filled in by the bot's error handler)."""

    errors: list[BaseException] = field(default_factory=list)

    @property
    def transient(self) -> bool:
        """A database error: the same update will very likely work once the database is back."""
        return any(isinstance(e, DBAPIError | SQLAlchemyError) for e in self.errors)


_current: contextvars.ContextVar[Attempt | None] = contextvars.ContextVar(
    "akar_inbox_attempt", default=None
)


def report_error(error: BaseException | None) -> None:
    """Called by the bot's error handler: tells the worker this update's handling failed."""
    attempt = _current.get()
    if attempt is not None and error is not None:
        attempt.errors.append(error)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


class InboxWorker:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        handle: Handle,
        *,
        on_transient_failure: TransientNotice | None = None,
        name: str | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        poll_seconds: float = DEFAULT_POLL_SECONDS,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self._sessions = sessions
        self._handle = handle
        self._notice = on_transient_failure
        self.name = name or worker_name()
        self._concurrency = concurrency
        self._lease = timedelta(seconds=lease_seconds)
        self._poll = poll_seconds
        self._max_attempts = max_attempts
        self._wake = asyncio.Event()
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self.running = False
        self.handled = 0

    def wake(self) -> None:
        """An update was just stored (by this process's ingress, or a handled one freed a chat)."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        self.running = True
        backoff = 0.5
        housekeeping_due = 0.0
        loop = asyncio.get_running_loop()
        try:
            while not stop.is_set():
                try:
                    if loop.time() >= housekeeping_due:
                        await asyncio.to_thread(self._housekeeping)
                        housekeeping_due = loop.time() + self._lease.total_seconds() / 3
                    claimed = await self._claim()
                    backoff = 0.5
                except SQLAlchemyError as exc:
                    log.warning("webhook inbox unavailable, retrying in %.1f s: %s", backoff, exc)
                    metrics.INBOX_EVENTS.labels("claim").inc()
                    await _wait(stop, backoff)  # a retry back-off, not synchronisation
                    backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                    continue
                for item in claimed:
                    self._in_flight[item.id] = asyncio.create_task(
                        self._run_one(item), name=f"inbox-{item.update_id}"
                    )
                if not claimed or len(self._in_flight) >= self._concurrency:
                    self._wake.clear()
                    await _wait_any(stop, self._wake, self._poll)
        finally:
            self.running = False
            await self._drain()

    async def _claim(self) -> list[inbox.Claimed]:
        free = self._concurrency - len(self._in_flight)
        if free <= 0:
            return []

        def claim() -> list[inbox.Claimed]:
            with self._sessions.begin() as session:
                return inbox.claim(session, self.name, free, self._lease)

        return await asyncio.to_thread(claim)

    def _housekeeping(self) -> None:
        with self._sessions.begin() as session:
            inbox.renew(session, self.name, list(self._in_flight), self._lease)
            dropped = inbox.recover(session, self._max_attempts)
            snapshot = inbox.depth(session)
        for update_id in dropped:
            log.error("dropped update %s after %d failed attempts", update_id, self._max_attempts)
            metrics.INBOX_EVENTS.labels("dropped").inc()
        metrics.INBOX_DEPTH.labels("pending").set(snapshot.pending)
        metrics.INBOX_DEPTH.labels("working").set(snapshot.working)

    async def _run_one(self, item: inbox.Claimed) -> None:
        attempt = Attempt()
        token = _current.set(attempt)
        try:
            await self._handle(item.payload)
        except Exception as exc:  # the Application normally reports errors itself
            attempt.errors.append(exc)
            log.exception("update %s failed", item.update_id)
        finally:
            _current.reset(token)
        try:
            await self._settle(item, attempt)
        finally:
            self._in_flight.pop(item.id, None)
            self.handled += 1
            self.wake()  # the chat may have a next update waiting; free slot too

    async def _settle(self, item: inbox.Claimed, attempt: Attempt) -> None:
        retry = attempt.transient  # tried again until the database is back, never dropped
        if retry:
            metrics.INBOX_EVENTS.labels("retried").inc()
            if item.failures == 0 and self._notice is not None:
                with contextlib.suppress(Exception):  # a courtesy; the retry is what matters
                    await self._notice(item.ordering_key)
        elif attempt.errors:
            metrics.INBOX_EVENTS.labels("failed").inc()

        def settle() -> None:
            with self._sessions.begin() as session:
                if retry:
                    inbox.retry_later(session, item.id, retry_delay(item.failures))
                else:
                    inbox.finish(session, item.id)

        try:
            await asyncio.to_thread(settle)
        except SQLAlchemyError as exc:
            # The row stays `working` under our lease; once the lease lapses another claim
            # handles the update again (at least once), so nothing is lost.
            log.warning(
                "could not settle update %s (%s); its lease will expire", item.update_id, exc
            )

    async def _drain(self) -> None:
        """Let updates in progress finish (a deploy's SIGTERM) before the process exits."""
        if self._in_flight:
            await asyncio.gather(*self._in_flight.values(), return_exceptions=True)


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def _wait_any(stop: asyncio.Event, wake: asyncio.Event, seconds: float) -> None:
    waiters = [asyncio.create_task(stop.wait()), asyncio.create_task(wake.wait())]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
