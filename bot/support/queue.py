"""The "Perlu ditangani" queue: sellers waiting for a person (`handoff_state` set), oldest
first, with what the desk shows about each. Caller-owned session, nothing written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from bot.db.models import Direction, Message, Seller


@dataclass(frozen=True)
class Waiting:
    seller_id: int
    first_name: str
    last_name: str | None
    username: str | None
    is_active: bool
    state: str  # "requested" (the seller asked) or "staff" (staff took the chat over)
    since: datetime
    last_text: str | None  # the seller's latest typed message
    last_at: datetime | None  # when the seller last wrote anything
    staff_replied_at: datetime | None  # the latest staff reply, if any

    def waiting_seconds(self, now: datetime) -> float:
        return max(0.0, (now - self.since).total_seconds())


def handoff_queue(session: Session) -> list[Waiting]:
    """Every seller in a handoff, the longest-waiting first."""
    last_in = aliased(Message, name="last_in")
    latest_in = (
        sa.select(sa.func.max(Message.id))
        .where(Message.seller_id == Seller.id, Message.direction == Direction.IN)
        .scalar_subquery()
    )
    latest_text = (
        sa.select(Message.text)
        .where(
            Message.seller_id == Seller.id,
            Message.direction == Direction.IN,
            Message.text.is_not(None),
        )
        .order_by(Message.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    staff_reply = (
        sa.select(sa.func.max(Message.created_at))
        .where(Message.seller_id == Seller.id, Message.sent_by_account_id.is_not(None))
        .scalar_subquery()
    )
    since = sa.func.coalesce(Seller.handoff_at, Seller.last_seen_at)
    rows = session.execute(
        sa.select(Seller, since, latest_text, last_in.created_at, staff_reply)
        .outerjoin(last_in, last_in.id == latest_in)
        .where(Seller.handoff_state.is_not(None))
        .order_by(since, Seller.id)
    ).all()
    return [
        Waiting(
            seller_id=seller.id,
            first_name=seller.first_name,
            last_name=seller.last_name,
            username=seller.username,
            is_active=seller.is_active,
            state=str(seller.handoff_state),
            since=started,
            last_text=text,
            last_at=last_at,
            staff_replied_at=replied,
        )
        for seller, started, text, last_at, replied in rows
    ]
