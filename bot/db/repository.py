"""The storage operations the bot needs, as small typed functions.

Every function takes a `Session` owned by the caller and never commits: the caller decides what
one unit of work is (`bot.store` makes each step its own short transaction). Functions that
create rows flush, so the new row has its id straight away.

Synchronous on purpose: the bot calls them through `asyncio.to_thread`, which keeps them simple to
test and lets the same code run on SQLite and on PostgreSQL (psycopg) unchanged.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.db.models import Direction, Message, Seller, utcnow
from bot.privacy.masking import mask_entities, mask_optional


def get_seller_by_telegram_id(session: Session, telegram_user_id: int) -> Seller | None:
    """The seller with this Telegram user id, or None if they never wrote."""
    return session.scalars(
        sa.select(Seller).where(Seller.telegram_user_id == telegram_user_id)
    ).one_or_none()


def upsert_seller(
    session: Session,
    *,
    telegram_user_id: int,
    chat_id: int,
    first_name: str,
    last_name: str | None = None,
    username: str | None = None,
    language_code: str | None = None,
    now: datetime | None = None,
) -> Seller:
    """Create the seller or refresh their profile, and note that they were just seen.

    Profile fields are overwritten with what Telegram sends now, None included (a removed username
    should disappear). A seller who blocked the bot and writes again is active again: writing to
    the bot is only possible after unblocking it.

    Safe when two transactions see a new seller at once (their first messages handled in
    parallel): the insert is `INSERT ... ON CONFLICT DO NOTHING`, so the second one waits for the
    first and then updates the row instead of failing on the unique telegram_user_id.
    """
    now = now or utcnow()
    seller = get_seller_by_telegram_id(session, telegram_user_id)
    if seller is None:
        _insert_seller_if_missing(
            session,
            telegram_user_id=telegram_user_id,
            chat_id=chat_id,
            first_name=first_name,
            is_active=True,
            created_at=now,
            last_seen_at=now,
        )
        seller = session.scalars(
            sa.select(Seller).where(Seller.telegram_user_id == telegram_user_id)
        ).one()
    seller.chat_id = chat_id
    seller.first_name = first_name
    seller.last_name = last_name
    seller.username = username
    seller.language_code = language_code
    seller.last_seen_at = now
    if not seller.is_active:
        seller.is_active = True
        seller.blocked_at = None
    session.flush()
    return seller


def _insert_seller_if_missing(session: Session, **values: Any) -> None:
    """Insert a seller row unless one with the same telegram_user_id exists (or appears meanwhile).

    SQLite and PostgreSQL share the `ON CONFLICT DO NOTHING` syntax; other backends get a plain
    insert (a concurrent duplicate then fails on the unique index, which is still correct).
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        session.execute(
            postgresql.insert(Seller)
            .values(**values)
            .on_conflict_do_nothing(index_elements=[Seller.telegram_user_id])
        )
    elif dialect == "sqlite":
        from sqlalchemy.dialects import sqlite

        session.execute(
            sqlite.insert(Seller)
            .values(**values)
            .on_conflict_do_nothing(index_elements=[Seller.telegram_user_id])
        )
    else:
        session.execute(sa.insert(Seller).values(**values))


def mark_seller_blocked(
    session: Session, telegram_user_id: int, now: datetime | None = None
) -> Seller | None:
    """Record that the seller blocked the bot (Telegram refused a message with 403).

    Keeps the time of the first refusal if several replies bounce. Returns None for an unknown
    user: there is nothing to mark, and the caller is usually only reacting to a send error.
    """
    seller = get_seller_by_telegram_id(session, telegram_user_id)
    if seller is None:
        return None
    if seller.is_active:
        seller.is_active = False
        seller.blocked_at = now or utcnow()
    return seller


def record_incoming(
    session: Session,
    seller: Seller,
    *,
    kind: str,
    text: str | None,
    telegram_message_id: int | None,
    chat_id: int | None = None,
    now: datetime | None = None,
) -> Message:
    """Store a message from the seller as soon as it arrives, before the NLU sees it.

    Stored first so nothing is lost if Rasa is down or the bot crashes mid-turn; the NLU result
    and the outcome are added later (`set_nlu_result`, `mark_incoming_status`). `chat_id`
    defaults to the seller's private chat. Phone numbers, e-mail addresses, bank account
    numbers and NIK are masked in the stored text (bot/privacy/masking.py).
    """
    message = Message(
        seller=seller,
        chat_id=seller.chat_id if chat_id is None else chat_id,
        direction=Direction.IN,
        kind=kind,
        telegram_message_id=telegram_message_id,
        text=mask_optional(text),
        created_at=now or utcnow(),
    )
    session.add(message)
    session.flush()
    return message


def set_nlu_result(
    session: Session,
    message: Message,
    *,
    intent: str | None,
    confidence: float | None,
    entities: list[dict[str, Any]] | None,
    intent_ranking: list[dict[str, Any]] | None,
) -> None:
    """Attach what the NLU understood to an incoming message (for review and retraining)."""
    _require_direction(message, Direction.IN)
    message.intent = intent
    message.confidence = confidence
    message.entities = mask_entities(entities)
    message.intent_ranking = intent_ranking
    session.flush()


def mark_incoming_status(
    session: Session, message: Message, status: str, error: str | None = None
) -> None:
    """Record what became of an incoming message (`answered`, `rasa_unavailable`, ...)."""
    _require_direction(message, Direction.IN)
    message.delivery_status = status
    message.error = error
    session.flush()


def record_outgoing(
    session: Session,
    seller: Seller,
    *,
    text: str | None,
    in_reply_to: Message | None,
    telegram_message_id: int | None,
    delivery_status: str,
    error: str | None = None,
    kind: str = "text",
    chat_id: int | None = None,
    now: datetime | None = None,
) -> Message:
    """Store a message the bot sent (or tried to send) and link it to the message it answers
    (its text masked like an incoming one's: staff replies may repeat a seller's number)."""
    if in_reply_to is not None:
        _require_direction(in_reply_to, Direction.IN)
    message = Message(
        seller=seller,
        chat_id=seller.chat_id if chat_id is None else chat_id,
        direction=Direction.OUT,
        kind=kind,
        telegram_message_id=telegram_message_id,
        text=mask_optional(text),
        in_reply_to=in_reply_to,
        delivery_status=delivery_status,
        error=error,
        created_at=now or utcnow(),
    )
    session.add(message)
    session.flush()
    return message


def transcript(session: Session, seller_id: int, limit: int = 100) -> list[Message]:
    """The seller's `limit` most recent messages, oldest first (as a chat is read).

    Ordered by time, then by id, so a reply stored in the same clock tick as its question still
    comes after it.
    """
    newest_first = session.scalars(
        sa.select(Message)
        .where(Message.seller_id == seller_id)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(limit)
    ).all()
    return list(reversed(newest_first))


def _require_direction(message: Message, direction: Direction) -> None:
    if message.direction != direction:
        raise ValueError(f"message {message.id} is {message.direction!s}, expected {direction!s}")
