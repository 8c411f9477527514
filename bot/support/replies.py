"""What staff do to a seller's chat through Telegram: write a reply, hand the chat back.

Used by the web desk with a `telegram.Bot` of its own and the application's session factory.
Database work runs in worker threads (short transactions); sending happens between them, so no
transaction is held open while Telegram answers. Failures follow `bot/delivery.py`: network
errors are retried, 403 marks the seller inactive, other Bot API errors are recorded as failed.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot
from telegram.error import Forbidden, TelegramError

from bot import texts as bot_texts
from bot.db import repository
from bot.db.models import Direction, Message, Seller, utcnow
from bot.delivery import send_one
from bot.rendering import TELEGRAM_TEXT_LIMIT, OutgoingMessage
from bot.support import handoff, texts

log = logging.getLogger(__name__)


class UnknownSeller(LookupError):
    """No seller with this id."""


@dataclass(frozen=True)
class _Outcome:
    telegram_message_id: int | None
    status: str
    error: str | None = None


async def send_staff_reply(
    bot: Bot, sessions: sessionmaker[Session], seller_id: int, account_id: int, text: str
) -> Message:
    """Send `text` from a staff member to the seller and store it as an outgoing message with
    `sent_by_account_id`; returns the stored row (detached, its columns loaded).

    A seller who had not asked for a person is taken over (`handoff_state` "staff"), so their
    answer reaches staff instead of the assistant. The row's `delivery_status` says what
    happened: "sent", "blocked" (403: the seller is marked inactive) or "failed".
    Raises ValueError for empty text or text over Telegram's 4,096 characters, UnknownSeller
    for an unknown seller id.
    """
    text = text.strip()
    if not text:
        raise ValueError("a reply needs text")
    if len(text) > TELEGRAM_TEXT_LIMIT:
        raise ValueError(f"a reply is at most {TELEGRAM_TEXT_LIMIT} characters")
    chat_id = await asyncio.to_thread(_chat_of, sessions, seller_id)
    outcome = await _send(bot, chat_id, OutgoingMessage(text=text))
    return await asyncio.to_thread(
        _store_reply, sessions, seller_id, account_id, text, outcome, utcnow()
    )


async def hand_back(bot: Bot, sessions: sessionmaker[Session], seller_id: int) -> Message | None:
    """End the handoff: the assistant answers again, and the seller is told so.

    Returns the stored notice to the seller, or None (nothing sent) if the chat was not in a
    handoff. The notice is the bot's, so it carries no `sent_by_account_id`; the desk records
    who handed back in its audit log.
    """
    released, chat_id = await asyncio.to_thread(_release, sessions, seller_id)
    if not released:
        return None
    message = OutgoingMessage(text=texts.HANDED_BACK, buttons=bot_texts.TOPIC_BUTTONS)
    outcome = await _send(bot, chat_id, message)
    return await asyncio.to_thread(
        _store_reply, sessions, seller_id, None, texts.HANDED_BACK, outcome, utcnow()
    )


async def _send(bot: Bot, chat_id: int, message: OutgoingMessage) -> _Outcome:
    try:
        sent = await send_one(bot, chat_id, message)
    except Forbidden as exc:
        log.info("chat %s blocked the bot; marking the seller inactive", chat_id)
        return _Outcome(None, "blocked", str(exc))
    except TelegramError as exc:
        log.error("could not deliver a staff message to chat %s: %s", chat_id, exc)
        return _Outcome(None, "failed", str(exc))
    return _Outcome(sent.message_id, "sent")


def _chat_of(sessions: sessionmaker[Session], seller_id: int) -> int:
    with sessions() as session:
        chat_id = session.scalar(sa.select(Seller.chat_id).where(Seller.id == seller_id))
    if chat_id is None:
        raise UnknownSeller(seller_id)
    return chat_id


def _release(sessions: sessionmaker[Session], seller_id: int) -> tuple[bool, int]:
    with sessions.begin() as session:
        seller = session.get(Seller, seller_id)
        if seller is None:
            raise UnknownSeller(seller_id)
        return handoff.release(seller), seller.chat_id


def _store_reply(
    sessions: sessionmaker[Session],
    seller_id: int,
    account_id: int | None,
    text: str,
    outcome: _Outcome,
    now: datetime,
) -> Message:
    with sessions.begin() as session:
        seller = session.get_one(Seller, seller_id)
        if outcome.status == "blocked":
            repository.mark_seller_blocked(session, seller.telegram_user_id, now)
        elif account_id is not None:
            handoff.take_over(seller, now)
        latest_incoming = session.scalar(
            sa.select(Message)
            .where(Message.seller_id == seller_id, Message.direction == Direction.IN)
            .order_by(Message.id.desc())
            .limit(1)
        )
        message = repository.record_outgoing(
            session,
            seller,
            text=text,
            in_reply_to=latest_incoming,
            telegram_message_id=outcome.telegram_message_id,
            delivery_status=outcome.status,
            error=outcome.error,
            now=now,
        )
        message.sent_by_account_id = account_id
        session.flush()
        # Detached before the commit, so the caller can read it whatever the factory's
        # expire_on_commit says (relationships are not loaded).
        session.expunge(message)
        return message
