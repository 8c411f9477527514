"""Human handoff state on the seller row (caller-owned session, nothing committed here).

`Seller.handoff_state`:
- None: the assistant answers automatically.
- "requested": the seller asked for a person (intent `minta_bantuan_manusia`, typed, from the
  fallback's offer or after a 👎); the chat waits in the desk's queue.
- "staff": staff wrote to a seller who had not asked (they took the chat over).
Either non-None state pauses automatic answers: messages that would go to Rasa are stored with
status "handoff" (or "handoff_ack" when they got the short "we received it" reply) and Rasa
never sees them. Learning screens, the profile and the other commands that do not need the NLU
keep working. `handoff_at` keeps the time the latest handoff started (also after hand-back).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.db.models import Direction, Message, Seller

REQUESTED: Final = "requested"
STAFF: Final = "staff"
# Incoming statuses while paused.
HELD: Final = "handoff"
HELD_ACKNOWLEDGED: Final = "handoff_ack"
# The incoming status of the message that started a handoff.
REQUEST_STATUS: Final = "handoff_requested"
# At most one automatic "we received it" per this interval, counted from the last time the
# seller heard from us in the handoff (its start, the last acknowledgement, a staff reply).
ACK_INTERVAL: Final = timedelta(minutes=15)


def is_paused(seller: Seller) -> bool:
    return seller.handoff_state is not None


def request(seller: Seller, now: datetime) -> bool:
    """Start a handoff; False if one is already running (its start time is kept)."""
    if seller.handoff_state is not None:
        return False
    seller.handoff_state = REQUESTED
    seller.handoff_at = now
    return True


def take_over(seller: Seller, now: datetime) -> None:
    """Staff write first: pause the assistant so the seller's answer reaches staff, not Rasa."""
    if seller.handoff_state is None:
        seller.handoff_state = STAFF
        seller.handoff_at = now


def release(seller: Seller) -> bool:
    """Hand the chat back to the assistant; False if it was not in a handoff."""
    if seller.handoff_state is None:
        return False
    seller.handoff_state = None
    return True


def last_contact(session: Session, seller: Seller) -> datetime | None:
    """When the seller last heard from us during the handoff: its start, our latest
    acknowledgement or the latest staff reply."""
    latest = session.scalar(
        sa.select(sa.func.max(Message.created_at)).where(
            Message.seller_id == seller.id,
            sa.or_(
                sa.and_(
                    Message.direction == Direction.IN,
                    Message.delivery_status == HELD_ACKNOWLEDGED,
                ),
                Message.sent_by_account_id.is_not(None),
            ),
        )
    )
    candidates = [t for t in (seller.handoff_at, latest) if t is not None]
    return max(candidates) if candidates else None


def hold(
    session: Session,
    seller: Seller,
    message: Message,
    *,
    explicit: bool,
    now: datetime,
    interval: timedelta = ACK_INTERVAL,
) -> bool:
    """Keep a message from Rasa while paused. Returns whether to acknowledge it.

    Typed messages are acknowledged at most once per `interval`; an explicit action (a button,
    /start, a command meant for Rasa) always is, because the seller expects a response to it.
    """
    contact = last_contact(session, seller)
    acknowledge = explicit or contact is None or now - contact >= interval
    message.delivery_status = HELD_ACKNOWLEDGED if acknowledge else HELD
    return acknowledge


def last_seller_text(session: Session, seller_id: int) -> str | None:
    """The seller's latest typed message (what the staff notification quotes)."""
    return session.scalar(
        sa.select(Message.text)
        .where(
            Message.seller_id == seller_id,
            Message.direction == Direction.IN,
            Message.kind.in_(("text", "edited")),
            Message.text.is_not(None),
        )
        .order_by(Message.id.desc())
        .limit(1)
    )
