"""Per-conversation warning signs for the inbox rows: has any answer had a 👎, has the assistant
fallen back (not understood) anywhere in the conversation. One grouped query for a page of
sellers; caller-owned session, nothing written."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.db.models import Message
from bot.support.inbox import FALLBACK_INTENT, FALLBACK_STATUS


@dataclass(frozen=True)
class Flags:
    negative_feedback: bool = False
    fallback: bool = False


NONE = Flags()


def conversation_flags(session: Session, seller_ids: Iterable[int]) -> dict[int, Flags]:
    """Flags for each of these sellers (sellers with neither are left out: use `NONE`)."""
    ids = list(seller_ids)
    if not ids:
        return {}
    down = sa.func.sum(sa.case((Message.feedback == "down", 1), else_=0))
    fallback = sa.func.sum(
        sa.case(
            (
                sa.or_(
                    Message.intent == FALLBACK_INTENT, Message.delivery_status == FALLBACK_STATUS
                ),
                1,
            ),
            else_=0,
        )
    )
    rows = session.execute(
        sa.select(Message.seller_id, down, fallback)
        .where(Message.seller_id.in_(ids))
        .group_by(Message.seller_id)
    ).all()
    return {
        seller_id: Flags(negative_feedback=bool(d), fallback=bool(f))
        for seller_id, d, f in rows
        if d or f
    }
