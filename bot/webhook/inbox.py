"""The webhook inbox's database operations (table `inbound_updates`, bot/db/models.py).

The caller owns the session and its transaction. Ordering and exclusivity come from one claim
statement: a row is claimable only when no row of the same chat with a smaller `update_id` is
still in the table (done rows are deleted), and the claim is an UPDATE of rows still `pending`,
so two workers never take the same row nor two rows of one chat. On PostgreSQL the candidate
rows are also locked with SKIP LOCKED, so concurrent workers do not wait on each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from bot.db.models import InboundUpdate, utcnow

JSON = dict[str, Any]

# Update fields whose object carries the chat (`chat`) or, failing that, the user (`from`).
_CHAT_FIELDS = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_message",
    "edited_business_message",
    "message_reaction",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
)
_USER_FIELDS = (
    "callback_query",
    "inline_query",
    "chosen_inline_result",
    "shipping_query",
    "pre_checkout_query",
    "poll_answer",
)


def ordering_key(payload: JSON) -> int:
    """The chat an update belongs to (its handling order is kept per key).

    A button press counts for the chat of the message it sits on, so it queues behind that
    chat's typed messages. Updates with neither chat nor user get a key of their own (the
    negative update id), i.e. no ordering constraint.
    """
    for field in _CHAT_FIELDS:
        obj = payload.get(field)
        if isinstance(obj, dict):
            chat = obj.get("chat")
            if isinstance(chat, dict) and isinstance(chat.get("id"), int):
                return int(chat["id"])
    for field in _USER_FIELDS:
        obj = payload.get(field)
        if isinstance(obj, dict):
            message = obj.get("message")
            if isinstance(message, dict):
                chat = message.get("chat")
                if isinstance(chat, dict) and isinstance(chat.get("id"), int):
                    return int(chat["id"])
            user = obj.get("from") or obj.get("user")
            if isinstance(user, dict) and isinstance(user.get("id"), int):
                return int(user["id"])
    return -int(payload["update_id"])


def enqueue(session: Session, payload: JSON, now: datetime | None = None) -> bool:
    """Store an update; False if it was already stored (Telegram re-sent it)."""
    values = {
        "update_id": int(payload["update_id"]),
        "ordering_key": ordering_key(payload),
        "payload": payload,
        "status": "pending",
        "attempts": 0,
        "failures": 0,
        "received_at": now or utcnow(),
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(InboundUpdate)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["update_id"])
        .returning(InboundUpdate.id)
    )
    return session.execute(statement).scalar_one_or_none() is not None


@dataclass(frozen=True)
class Claimed:
    id: int
    update_id: int
    ordering_key: int
    payload: JSON
    attempts: int
    failures: int


def claim(
    session: Session, worker: str, limit: int, lease: timedelta, now: datetime | None = None
) -> list[Claimed]:
    """Up to `limit` updates, each the oldest open one of its chat, marked `working`."""
    now = now or utcnow()
    earlier = aliased(InboundUpdate)
    first_of_its_chat = ~exists().where(
        earlier.ordering_key == InboundUpdate.ordering_key,
        earlier.update_id < InboundUpdate.update_id,
    )
    due = (
        select(InboundUpdate.id)
        .where(
            InboundUpdate.status == "pending",
            (InboundUpdate.lease_until.is_(None)) | (InboundUpdate.lease_until <= now),
            first_of_its_chat,
        )
        .order_by(InboundUpdate.update_id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=InboundUpdate)
        .scalar_subquery()
    )
    rows = session.execute(
        update(InboundUpdate)
        .where(InboundUpdate.id.in_(due), InboundUpdate.status == "pending")
        .values(
            status="working",
            worker=worker,
            lease_until=now + lease,
            attempts=InboundUpdate.attempts + 1,
        )
        .returning(
            InboundUpdate.id,
            InboundUpdate.update_id,
            InboundUpdate.ordering_key,
            InboundUpdate.payload,
            InboundUpdate.attempts,
            InboundUpdate.failures,
        )
        .execution_options(synchronize_session=False)
    ).all()
    return sorted((Claimed(*row) for row in rows), key=lambda c: c.update_id)


def finish(session: Session, row_id: int) -> None:
    """The update has been handled: forget it (and its raw text)."""
    session.execute(delete(InboundUpdate).where(InboundUpdate.id == row_id))


def retry_later(
    session: Session, row_id: int, delay: timedelta, now: datetime | None = None
) -> None:
    """Handling failed on something transient (the database): back to pending after `delay`,
    however often that happens.

    `lease_until` doubles as "not before" for pending rows; the chat's later updates keep
    waiting behind this one, so the order holds across the retry.
    """
    now = now or utcnow()
    session.execute(
        update(InboundUpdate)
        .where(InboundUpdate.id == row_id)
        # Counted apart from crashes: a database outage of any length must not use up the
        # tries `recover` allows a poison update.
        .values(
            status="pending",
            worker=None,
            lease_until=now + delay,
            failures=InboundUpdate.failures + 1,
        )
    )


def renew(
    session: Session, worker: str, row_ids: list[int], lease: timedelta, now: datetime | None = None
) -> None:
    """Extend the leases of the updates this worker is still handling."""
    if not row_ids:
        return
    now = now or utcnow()
    session.execute(
        update(InboundUpdate)
        .where(
            InboundUpdate.id.in_(row_ids),
            InboundUpdate.worker == worker,
            InboundUpdate.status == "working",
        )
        .values(lease_until=now + lease)
    )


def recover(session: Session, max_attempts: int, now: datetime | None = None) -> list[int]:
    """Updates whose worker died (lease expired) go back to pending; returns the update ids
    dropped instead because their handling died `max_attempts` times (a poison update that
    kills every worker must not stop its chat forever). Database failures do not count."""
    now = now or utcnow()
    expired = InboundUpdate.status == "working", InboundUpdate.lease_until < now
    crashes = InboundUpdate.attempts - InboundUpdate.failures
    dropped = list(
        session.scalars(
            delete(InboundUpdate)
            .where(*expired, crashes >= max_attempts)
            .returning(InboundUpdate.update_id)
        )
    )
    session.execute(
        update(InboundUpdate)
        .where(*expired)
        .values(status="pending", worker=None, lease_until=None)
    )
    return dropped


@dataclass(frozen=True)
class Depth:
    pending: int
    working: int
    oldest_received_at: datetime | None


def depth(session: Session) -> Depth:
    counts = dict(
        session.execute(
            select(InboundUpdate.status, func.count()).group_by(InboundUpdate.status)
        ).all()
    )
    oldest = session.scalar(select(func.min(InboundUpdate.received_at)))
    return Depth(int(counts.get("pending", 0)), int(counts.get("working", 0)), oldest)
