"""`Privacy`: the async entry point the conversation core uses for the privacy notice,
/privasi, /hapusdata and the daily retention job.

Database work runs in worker threads, one short transaction per call, like `Store`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.db import repository
from bot.db.models import Seller, utcnow
from bot.privacy import texts
from bot.privacy.deletion import delete_seller_data
from bot.privacy.policy import PrivacyText
from bot.privacy.rasa_tracker import RasaTrackerEvents
from bot.privacy.retention import RetentionReport, anonymise_before
from bot.rendering import OutgoingMessage
from bot.store import SellerIdentity, upsert_identity

log = logging.getLogger(__name__)

RETENTION_EVERY = timedelta(days=1)
# A confirmation from a little in the future is a clock difference between bot processes.
CLOCK_SKEW = timedelta(minutes=2)


@dataclass(frozen=True)
class DeletionOutcome:
    messages: list[OutgoingMessage]
    deleted: bool  # the seller's data was deleted just now


def _one(text: str) -> list[OutgoingMessage]:
    return [OutgoingMessage(text=text)]


class Privacy:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        text: PrivacyText,
        *,
        retention_days: int,
        clock: Callable[[], datetime] = utcnow,
        retention_every: timedelta = RETENTION_EVERY,
        rasa_tracker: RasaTrackerEvents | None = None,
    ) -> None:
        """`rasa_tracker`: Rasa's SQL tracker store (RASA_TRACKER_STORE_URL), whose events
        /hapusdata and retention delete too; None with Rasa's in-memory store."""
        self._sessions = session_factory
        self._rasa_tracker = rasa_tracker
        self.text = text
        self.retention_days = retention_days
        self._clock = clock
        self._retention_every = retention_every
        self._retention: tuple[asyncio.Event, asyncio.Task[None]] | None = None
        # Set after each run of the daily job (tests wait on it instead of sleeping).
        self.retention_ran = asyncio.Event()
        self.last_retention: RetentionReport | None = None

    # --- the notice and /privasi --------------------------------------------------------------

    async def notice_if_new(self, who: SellerIdentity) -> list[OutgoingMessage]:
        """The short notice if this seller has not been shown this version of it yet (their
        first /start, or the text changed), recorded as shown; otherwise nothing."""
        return await asyncio.to_thread(self._notice_if_new, who)

    def _notice_if_new(self, who: SellerIdentity) -> list[OutgoingMessage]:
        with self._sessions.begin() as session:
            seller = _seller(session, who)
            if seller.privacy_notice_version == self.text.version:
                return []
            seller.privacy_notice_at = self._clock()
            seller.privacy_notice_version = self.text.version
        return [OutgoingMessage(text=self.text.notice, buttons=((texts.SHOW_FULL,),))]

    def full_text(self) -> list[OutgoingMessage]:
        return [OutgoingMessage(text=part) for part in self.text.full_parts()]

    # --- /hapusdata -----------------------------------------------------------------------------

    async def ask_deletion(self, who: SellerIdentity) -> list[OutgoingMessage]:
        return await asyncio.to_thread(self._ask_deletion, who)

    def _ask_deletion(self, who: SellerIdentity) -> list[OutgoingMessage]:
        with self._sessions.begin() as session:
            seller = _seller(session, who)
            buttons = texts.yes_no_buttons(seller.id, seller.created_at, self._clock())
        return [OutgoingMessage(text=texts.ASK_DELETION, buttons=buttons)]

    async def deletion_button(self, who: SellerIdentity, data: str) -> DeletionOutcome:
        """ "Ya, hapus" or "Batal". A confirmation only deletes if it belongs to this seller's
        current record and is less than an hour old: a second tap finds nothing left, and a
        button from before a deletion cannot delete the seller's new data."""
        if data == texts.CANCEL_DATA:
            return DeletionOutcome(_one(texts.CANCELLED), deleted=False)
        return await asyncio.to_thread(self._confirm, who, data)

    def _confirm(self, who: SellerIdentity, data: str) -> DeletionOutcome:
        confirmation = texts.parse_confirm(data)
        now = self._clock()
        with self._sessions.begin() as session:
            seller = repository.get_seller_by_telegram_id(session, who.telegram_user_id)
            if seller is None:
                return DeletionOutcome(_one(texts.ALREADY_DELETED), deleted=False)
            if (
                confirmation is None
                or not confirmation.is_for(seller.id, seller.created_at)
                or not now - texts.CONFIRM_VALID <= confirmation.asked_at <= now + CLOCK_SKEW
            ):
                return DeletionOutcome(_one(texts.STALE), deleted=False)
            delete_seller_data(session, who.telegram_user_id, now=now)
        log.info("a seller deleted their data (/hapusdata)")
        return DeletionOutcome(_one(texts.DELETED), deleted=True)

    async def forget_conversation(self, sender_id: str) -> int:
        """After a deletion: delete Rasa's stored events of this conversation (the unmasked
        text Rasa received), if Rasa keeps them in SQL; how many rows went. A failure is
        logged, not raised: the seller's own data is already gone and they get their answer;
        the retention job removes what is left once it is old enough."""
        if self._rasa_tracker is None:
            return 0
        try:
            return await asyncio.to_thread(self._rasa_tracker.delete_conversation, sender_id)
        except Exception:
            log.exception("could not delete a deleted seller's events from Rasa's tracker store")
            return 0

    # --- retention ------------------------------------------------------------------------------

    async def retain(self) -> RetentionReport:
        """Anonymise transcripts older than the retention period, now, and delete Rasa's
        tracker events from before the same cutoff."""
        report = await asyncio.to_thread(
            anonymise_before, self._sessions, now=self._clock(), days=self.retention_days
        )
        if self._rasa_tracker is None:
            return report
        events = await asyncio.to_thread(self._rasa_tracker.delete_before, report.cutoff)
        return dataclasses.replace(report, rasa_events=events)

    def start_daily_retention(self) -> None:
        """Run the retention job now and then every day, inside this process, until aclose()."""
        if self._retention is not None:
            return
        stop = asyncio.Event()
        task = asyncio.create_task(self._retention_loop(stop), name="privacy-retention")
        self._retention = (stop, task)

    async def _retention_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                report = await self.retain()
                self.last_retention = report
                if report.messages or report.rasa_events:
                    log.info(
                        "retention: %d messages older than %d days anonymised, "
                        "%d Rasa tracker events deleted",
                        report.messages,
                        self.retention_days,
                        report.rasa_events,
                    )
            except Exception:  # a bad night must not stop tomorrow's run, nor the bot
                log.exception("transcript retention failed; trying again in a day")
            self.retention_ran.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._retention_every.total_seconds())

    async def aclose(self) -> None:
        if self._retention is not None:
            stop, task = self._retention
            self._retention = None
            stop.set()
            await task
        if self._rasa_tracker is not None:
            self._rasa_tracker.dispose()


def _seller(session: Session, who: SellerIdentity) -> Seller:
    """The seller row (the incoming message being handled normally created it already)."""
    seller = repository.get_seller_by_telegram_id(session, who.telegram_user_id)
    if seller is None:
        seller = upsert_identity(session, who)
        session.flush()
    return seller
