"""The "Perlu ditangani" queue: sellers in a handoff (`handoff_state` set), the longest-waiting
first, with what the desk shows about each. Caller-owned session, nothing written.

"Waiting" means a seller's message waits for a person: it counts from the seller's oldest
message that staff have not answered yet. The assistant holds back (status "handoff" or
"handoff_ack") every message meant for it while a chat is in a handoff, so those are the
messages waiting for staff; a staff reply that reached Telegram answers everything before it.
A seller who asked for a person waits from the request until the first staff reply. A chat
staff took over waits only once the seller writes back. Chats with nothing waiting come last.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from bot.db.models import Direction, Message, Seller
from bot.support import handoff

_HELD_STATUSES = (handoff.HELD, handoff.HELD_ACKNOWLEDGED)


@dataclass(frozen=True)
class Waiting:
    seller_id: int
    first_name: str
    last_name: str | None
    username: str | None
    is_active: bool
    state: str  # "requested" (the seller asked) or "staff" (staff took the chat over)
    started: datetime  # when this handoff began (the request, or the takeover reply)
    waiting_since: datetime | None  # the seller's oldest unanswered message; None: none
    last_text: str | None  # the seller's latest typed message
    last_at: datetime | None  # when the seller last wrote anything
    staff_replied_at: datetime | None  # the latest staff reply, if any

    def waiting_seconds(self, now: datetime) -> float | None:
        """How long the seller has been waiting for staff; None if nothing waits."""
        if self.waiting_since is None:
            return None
        return max(0.0, (now - self.waiting_since).total_seconds())


@dataclass(frozen=True)
class _Handoff:
    seller_id: int
    state: str
    started: datetime


def _waiting_since(session: Session, handoffs: Iterable[_Handoff]) -> dict[int, datetime | None]:
    """For each handoff, the seller's oldest message no staff reply has answered yet."""
    handoffs = list(handoffs)
    if not handoffs:
        return {}
    earliest = min(h.started for h in handoffs)
    rows = session.execute(
        sa.select(Message.seller_id, Message.created_at, Message.sent_by_account_id)
        .where(
            Message.seller_id.in_([h.seller_id for h in handoffs]),
            Message.created_at >= earliest,
            sa.or_(
                sa.and_(
                    Message.direction == Direction.IN,
                    Message.delivery_status.in_(_HELD_STATUSES),
                ),
                sa.and_(
                    Message.sent_by_account_id.is_not(None),
                    Message.delivery_status == "sent",
                ),
            ),
        )
        .order_by(Message.id)
    ).all()
    # Per seller, in order: (when, True for a staff reply or False for a held message).
    events: dict[int, list[tuple[datetime, bool]]] = defaultdict(list)
    for seller_id, created_at, staff_account in rows:
        events[seller_id].append((created_at, staff_account is not None))
    found: dict[int, datetime | None] = {}
    for h in handoffs:
        # A request waits from its start until a staff reply; a takeover starts answered.
        oldest: datetime | None = h.started if h.state == handoff.REQUESTED else None
        for created_at, staff_reply in events[h.seller_id]:
            if created_at < h.started:
                continue  # an earlier handoff's
            if staff_reply:
                oldest = None  # answered up to here
            elif oldest is None:
                oldest = created_at
        found[h.seller_id] = oldest
    return found


def waiting_since(
    session: Session, seller_id: int, state: str | None, started: datetime | None
) -> datetime | None:
    """The seller's oldest message waiting for staff in the handoff `state` that began at
    `started` (`Seller.handoff_state`, `Seller.handoff_at`); None if none, or no handoff."""
    if state is None or started is None:
        return None
    return _waiting_since(session, [_Handoff(seller_id, state, started)])[seller_id]


def handoff_queue(session: Session) -> list[Waiting]:
    """Every seller in a handoff: those waiting first, the longest-waiting first; then the
    others, oldest handoff first."""
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
    waiting = _waiting_since(
        session,
        (_Handoff(seller.id, str(seller.handoff_state), started) for seller, started, *_ in rows),
    )
    queue = [
        Waiting(
            seller_id=seller.id,
            first_name=seller.first_name,
            last_name=seller.last_name,
            username=seller.username,
            is_active=seller.is_active,
            state=str(seller.handoff_state),
            started=started,
            waiting_since=waiting.get(seller.id),
            last_text=text,
            last_at=last_at,
            staff_replied_at=replied,
        )
        for seller, started, text, last_at, replied in rows
    ]
    # Stable: within each group, the query's order (oldest handoff first) is kept.
    return sorted(queue, key=lambda w: (w.waiting_since is None, w.waiting_since or w.started))
