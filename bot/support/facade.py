"""`Support`: the async entry point the conversation core uses for feedback and handoff.

Each call is one short transaction in a worker thread (like `Store` and `Learning`), so a
handoff or a vote is committed before the seller sees the reply.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot import texts as bot_texts
from bot.db import repository
from bot.db.models import Message, Seller, utcnow
from bot.observability import metrics
from bot.rasa_client import NluResult
from bot.rendering import Button, Notice, OutgoingMessage
from bot.store import SellerIdentity, upsert_identity
from bot.support import feedback, handoff, texts

DEFAULT_WEB_BASE_URL = "http://127.0.0.1:8080"
HANDOFF_INTENT = "minta_bantuan_manusia"
# h:bot — the seller leaves the handoff and goes back to the assistant.
BACK_TO_BOT = texts.BACK_TO_BOT.payload


def conversation_url(web_base_url: str, seller_id: int) -> str:
    """Where staff answer this seller in the desk."""
    return f"{web_base_url.rstrip('/')}/percakapan/{seller_id}"


def is_handoff_request(nlu: NluResult | None, sent_text: str) -> bool:
    """The seller asked for a person: typed (the NLU says so) or through a button."""
    intent = nlu.intent if nlu is not None else None
    return intent == HANDOFF_INTENT or sent_text == f"/{HANDOFF_INTENT}"


def _one(text: str, *buttons: Button) -> list[OutgoingMessage]:
    rows = tuple((b,) for b in buttons)
    return [OutgoingMessage(text=text, buttons=rows)]


class Support:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        support_chat_id: int | None = None,
        web_base_url: str = DEFAULT_WEB_BASE_URL,
        ack_interval: timedelta = handoff.ACK_INTERVAL,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = session_factory
        self.support_chat_id = support_chat_id
        self.web_base_url = web_base_url
        self.ack_interval = ack_interval
        self._clock = clock

    # --- handoff -----------------------------------------------------------------------------

    async def hold(
        self, who: SellerIdentity, incoming_id: int, *, typed: bool
    ) -> list[OutgoingMessage] | None:
        """None when the assistant may answer; otherwise the message is kept from Rasa and the
        reply is the short acknowledgement, or nothing (already acknowledged recently)."""
        return await asyncio.to_thread(self._hold, who, incoming_id, typed)

    def _hold(
        self, who: SellerIdentity, incoming_id: int, typed: bool
    ) -> list[OutgoingMessage] | None:
        with self._sessions.begin() as session:
            seller = _seller(session, who)
            if not handoff.is_paused(seller):
                return None
            message = session.get_one(Message, incoming_id)
            acknowledge = handoff.hold(
                session,
                seller,
                message,
                explicit=not typed,
                now=self._clock(),
                interval=self.ack_interval,
            )
            return _one(texts.HANDOFF_WAITING, texts.BACK_TO_BOT) if acknowledge else []

    async def start_handoff(
        self, who: SellerIdentity, incoming_id: int
    ) -> tuple[list[OutgoingMessage], list[Notice]]:
        """Pause the assistant for this seller; the reply to the seller and the staff notice."""
        return await asyncio.to_thread(self._start_handoff, who, incoming_id)

    def _start_handoff(
        self, who: SellerIdentity, incoming_id: int
    ) -> tuple[list[OutgoingMessage], list[Notice]]:
        with self._sessions.begin() as session:
            seller = _seller(session, who)
            started = handoff.request(seller, self._clock())
            session.get_one(Message, incoming_id).delivery_status = handoff.REQUEST_STATUS
            notices = self._staff_notices(session, seller) if started else []
        if started:
            metrics.handoff_started()
        return _one(texts.HANDOFF_STARTED, texts.MODULES, texts.BACK_TO_BOT), notices

    def _staff_notices(self, session: Session, seller: Seller) -> list[Notice]:
        if self.support_chat_id is None:
            return []
        text = texts.staff_notification(
            seller.first_name,
            seller.username,
            _shorten(handoff.last_seller_text(session, seller.id)),
            conversation_url(self.web_base_url, seller.id),
        )
        return [Notice(self.support_chat_id, OutgoingMessage(text=text))]

    # --- buttons -------------------------------------------------------------------------------

    async def button(
        self, who: SellerIdentity, incoming_id: int, data: str
    ) -> list[OutgoingMessage] | None:
        """A feedback (f:...) or handoff (h:bot) button; None if `data` is neither."""
        if feedback.is_feedback_data(data):
            return await asyncio.to_thread(self._feedback, who, incoming_id, data)
        if data == BACK_TO_BOT:
            return await asyncio.to_thread(self._back_to_bot, who, incoming_id)
        return None

    def _feedback(self, who: SellerIdentity, incoming_id: int, data: str) -> list[OutgoingMessage]:
        with self._sessions.begin() as session:
            seller = _seller(session, who)
            vote = feedback.parse(data)
            recorded = None
            if vote is not None:
                recorded = feedback.record(session, seller, vote, self._clock())
            incoming = session.get_one(Message, incoming_id)
            if vote is None or recorded is None:
                incoming.delivery_status = "stale_button"
                return _one(texts.FEEDBACK_STALE)
            incoming.delivery_status = "feedback"
            if vote.feedback == feedback.UP:
                return _one(texts.THANKS_UP)
            if handoff.is_paused(seller):
                return _one(texts.THANKS_DOWN_IN_HANDOFF)
            return [
                OutgoingMessage(
                    text=texts.THANKS_DOWN, buttons=((texts.ASK_TEAM, texts.ASK_AGAIN),)
                )
            ]

    def _back_to_bot(self, who: SellerIdentity, incoming_id: int) -> list[OutgoingMessage]:
        with self._sessions.begin() as session:
            seller = _seller(session, who)
            released = handoff.release(seller)
            session.get_one(Message, incoming_id).delivery_status = "handoff_ended"
        text = texts.HANDED_BACK_BY_SELLER if released else texts.NOT_IN_HANDOFF
        return [OutgoingMessage(text=text, buttons=bot_texts.TOPIC_BUTTONS)]

    # --- feedback buttons on answers -----------------------------------------------------------

    @staticmethod
    def with_feedback(
        messages: list[OutgoingMessage], incoming_id: int, nlu: NluResult | None
    ) -> list[OutgoingMessage]:
        """Add the 👍/👎 row if this reply answers a question."""
        if not feedback.wants_feedback(nlu) or feedback.asks_which_answer(messages):
            return messages
        return feedback.with_feedback_row(messages, incoming_id)


def _seller(session: Session, who: SellerIdentity) -> Seller:
    """The seller row (the message being handled already created or refreshed it)."""
    seller = repository.get_seller_by_telegram_id(session, who.telegram_user_id)
    if seller is None:
        seller = upsert_identity(session, who)
        session.flush()
    return seller


def _shorten(text: str | None, limit: int = 300) -> str | None:
    if text is None:
        return None
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
