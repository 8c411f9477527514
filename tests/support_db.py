"""Builders for the support tests: sellers, messages in both directions, staff accounts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.db import repository
from bot.db.models import Direction, Message, Seller, StaffAccount

# --- builders ------------------------------------------------------------------------------------


def add_seller(
    session: Session,
    telegram_user_id: int,
    first_name: str,
    *,
    username: str | None = None,
    last_name: str | None = None,
) -> Seller:
    seller = repository.upsert_seller(
        session,
        telegram_user_id=telegram_user_id,
        chat_id=telegram_user_id,
        first_name=first_name,
        last_name=last_name,
        username=username,
    )
    session.flush()
    return seller


def add_incoming(
    session: Session,
    seller: Seller,
    text: str | None,
    at: datetime,
    *,
    intent: str | None = None,
    confidence: float | None = None,
    status: str = "answered",
    feedback: str | None = None,
    entities: list[dict[str, object]] | None = None,
) -> Message:
    message = repository.record_incoming(
        session, seller, kind="text", text=text, telegram_message_id=None, now=at
    )
    message.intent, message.confidence = intent, confidence
    message.entities = entities
    message.delivery_status, message.feedback = status, feedback
    session.flush()
    return message


def add_outgoing(
    session: Session,
    seller: Seller,
    text: str,
    at: datetime,
    *,
    reply_to: Message | None = None,
    account_id: int | None = None,
) -> Message:
    message = repository.record_outgoing(
        session,
        seller,
        text=text,
        in_reply_to=reply_to,
        telegram_message_id=None,
        delivery_status="sent",
        now=at,
    )
    message.sent_by_account_id = account_id
    session.flush()
    assert message.direction == Direction.OUT
    return message


def add_staff(session: Session, username: str = "rina", telegram_user_id: int = 42) -> StaffAccount:
    account = StaffAccount(
        username=username, password_hash="not-a-real-hash", telegram_user_id=telegram_user_id
    )
    session.add(account)
    session.flush()
    return account
