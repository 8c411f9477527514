"""The persistent outbox: broadcasts become one delivery row per recipient, claimed in batches.

Every function takes the caller's session (the caller commits). The guarantee, with the sender:
no recipient is lost across crashes (rows are written before anything is sent), and a recipient
is sent twice only if the process died after Telegram accepted the message and before the row
was marked `sent`: at most the claimed, in-flight batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.broadcast.segments import Segment, recipients
from bot.db.models import Broadcast, BroadcastDelivery, utcnow

# "skipped": a drip step the seller had already finished (bot/broadcast/drip.py).
FINAL = ("sent", "blocked", "failed", "opted_out", "cancelled", "skipped")
MAX_ATTEMPTS = 5
# "drip": a drip-series step (bot/broadcast/drip.py); its rows arrive over time, it never ends.
SENDABLE = ("sending", "drip")
STATUS_NAMES = {
    "scheduled": "terjadwal",
    "sending": "sedang dikirim",
    "done": "selesai",
    "cancelled": "dihentikan",
    "drip": "seri drip",
}


def create(
    session: Session,
    *,
    text: str,
    segment: Segment,
    created_by: int | None = None,
    module_key: str | None = None,
    scheduled_at: datetime | None = None,
) -> Broadcast:
    broadcast = Broadcast(
        text=text,
        segment=segment.to_json(),
        created_by=created_by,
        module_key=module_key,
        status="scheduled",
        scheduled_at=scheduled_at or utcnow(),
    )
    session.add(broadcast)
    session.flush()
    return broadcast


def start_due(session: Session, now: datetime | None = None) -> list[int]:
    """Scheduled broadcasts whose time has come get their delivery rows; returns their ids."""
    now = now or utcnow()
    due = session.scalars(
        select(Broadcast).where(Broadcast.status == "scheduled", Broadcast.scheduled_at <= now)
    ).all()
    started = []
    for broadcast in due:
        # Take the broadcast first, conditionally: of two senders (two processes, or the CLI
        # beside the bot) only one writes its delivery rows; the other finds it taken.
        taken = session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast.id, Broadcast.status == "scheduled")
            .values(status="sending", started_at=now)
            .execution_options(synchronize_session=False)
        )
        if not taken.rowcount:  # type: ignore[attr-defined]
            continue
        started.append(broadcast.id)
        for seller_id, chat_id, opted_out in recipients(
            session, Segment.from_json(broadcast.segment)
        ):
            session.add(
                BroadcastDelivery(
                    broadcast_id=broadcast.id,
                    seller_id=seller_id,
                    chat_id=chat_id,
                    status="opted_out" if opted_out else "pending",
                    next_attempt_at=now,
                )
            )
        broadcast.status, broadcast.started_at = "sending", now
    session.flush()
    return started


@dataclass(frozen=True)
class Claimed:
    id: int
    broadcast_id: int
    chat_id: int
    attempts: int


def claim(session: Session, limit: int, now: datetime | None = None) -> list[Claimed]:
    """Up to `limit` due pending rows, marked `sending` in one UPDATE ... RETURNING.

    The status condition in the UPDATE makes a claim atomic: two senders (two processes, or a
    CLI `send` beside `akar run`) never claim the same row. On PostgreSQL the subquery also skips
    rows another transaction has locked.
    """
    now = now or utcnow()
    due = (
        select(BroadcastDelivery.id)
        .join(Broadcast, Broadcast.id == BroadcastDelivery.broadcast_id)
        .where(
            BroadcastDelivery.status == "pending",
            BroadcastDelivery.next_attempt_at <= now,
            Broadcast.status.in_(SENDABLE),
        )
        .order_by(BroadcastDelivery.id)
        .limit(limit)
        # OF: lock (and skip) delivery rows only. A plain FOR UPDATE also locks the joined
        # broadcast row, so a second sender skipped every row of that broadcast and got nothing.
        .with_for_update(skip_locked=True, of=BroadcastDelivery)
        .scalar_subquery()
    )
    rows = session.execute(
        update(BroadcastDelivery)
        .where(BroadcastDelivery.id.in_(due), BroadcastDelivery.status == "pending")
        .values(status="sending", claimed_at=now, attempts=BroadcastDelivery.attempts + 1)
        .returning(
            BroadcastDelivery.id,
            BroadcastDelivery.broadcast_id,
            BroadcastDelivery.chat_id,
            BroadcastDelivery.attempts,
        )
        .execution_options(synchronize_session=False)
    ).all()
    return sorted((Claimed(*row) for row in rows), key=lambda c: c.id)


def recover(session: Session, older_than: timedelta, now: datetime | None = None) -> int:
    """Rows left `sending` by a crashed sender go back to pending (they may be sent twice)."""
    now = now or utcnow()
    result = session.execute(
        update(BroadcastDelivery)
        .where(
            BroadcastDelivery.status == "sending",
            BroadcastDelivery.claimed_at < now - older_than,
        )
        .values(status="pending", next_attempt_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def finish_done(session: Session, now: datetime | None = None) -> list[int]:
    """Broadcasts with no open rows left are done; returns their ids."""
    now = now or utcnow()
    finished = []
    for broadcast in session.scalars(select(Broadcast).where(Broadcast.status == "sending")):
        open_rows = session.scalar(
            select(BroadcastDelivery.id)
            .where(
                BroadcastDelivery.broadcast_id == broadcast.id,
                BroadcastDelivery.status.in_(("pending", "sending")),
            )
            .limit(1)
        )
        if open_rows is None:
            broadcast.status, broadcast.finished_at = "done", now
            finished.append(broadcast.id)
    session.flush()
    return finished


def cancel(session: Session, broadcast_id: int, now: datetime | None = None) -> bool:
    broadcast = session.get(Broadcast, broadcast_id)
    if broadcast is None or broadcast.status in ("done", "cancelled"):
        return False
    now = now or utcnow()
    session.execute(
        update(BroadcastDelivery)
        .where(
            BroadcastDelivery.broadcast_id == broadcast_id,
            BroadcastDelivery.status == "pending",
        )
        .values(status="cancelled")
    )
    broadcast.status, broadcast.finished_at = "cancelled", now
    session.flush()
    return True


@dataclass(frozen=True)
class Report:
    broadcast_id: int
    status: str
    counts: dict[str, int]
    started_at: datetime | None
    finished_at: datetime | None

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def duration_s(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def rate(self) -> float | None:
        duration = self.duration_s
        sent = self.counts.get("sent", 0)
        return sent / duration if duration else None

    def summary(self) -> str:
        c = self.counts
        waiting = c.get("pending", 0) + c.get("sending", 0)
        line = (
            f"Siaran #{self.broadcast_id} ({STATUS_NAMES.get(self.status, self.status)}): "
            f"total {self.total}, "
            f"terkirim {c.get('sent', 0)}, diblokir {c.get('blocked', 0)}, "
            f"gagal {c.get('failed', 0)}, berhenti langganan {c.get('opted_out', 0)}, "
            f"dibatalkan {c.get('cancelled', 0)}, menunggu {waiting}"
        )
        if c.get("skipped"):
            line += f", dilewati (sudah selesai) {c['skipped']}"
        if self.duration_s is not None:
            line += f"; durasi {self.duration_s:.1f} s"
        if self.rate is not None:
            line += f", {self.rate:.1f} pesan/detik"
        return line


def report(session: Session, broadcast_id: int) -> Report | None:
    broadcast = session.get(Broadcast, broadcast_id)
    if broadcast is None:
        return None
    counts = {
        status: int(count)
        for status, count in session.execute(
            select(BroadcastDelivery.status, func.count())
            .where(BroadcastDelivery.broadcast_id == broadcast_id)
            .group_by(BroadcastDelivery.status)
        )
    }
    return Report(
        broadcast.id, broadcast.status, counts, broadcast.started_at, broadcast.finished_at
    )
