"""Transcript retention: what sellers and staff wrote is removed once it is older than
TRANSCRIPT_RETENTION_DAYS.

An anonymised message keeps what statistics need and nothing of its content: the row stays,
with its time, direction, kind, intent, confidence, status and 👍/👎, and its link to the
seller; the text becomes `MARKER`, entities, intent ranking, error and the Telegram message id
are cleared, and `anonymised_at` is set. So the desk's analytics for past months still add
up, and a conversation page shows that there were messages then, but not what they said. A
seller who wants even that gone uses /hapusdata.

NLU annotations on those messages get the /hapusdata rule (bot/privacy/deletion.py): the
example is masked and kept only if it names nobody. Staff notes and profiles are not
transcripts and are not touched.

`anonymise_before` works in batches of short transactions (on SQLite each text update also
updates the search index through a trigger) and is idempotent: running it twice, or in two
bot processes at once, anonymises each message once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from bot.db.models import AuditEntry, Message, NluAnnotation, Seller, utcnow
from bot.privacy.deletion import identity_terms, scrub_annotation

MARKER = "[dihapus: lewat masa simpan]"
AUDIT_ACTION = "privacy_retention"
BATCH = 500


@dataclass(frozen=True)
class RetentionReport:
    cutoff: datetime
    messages: int
    annotations_kept: int
    annotations_removed: int
    # Rasa's tracker events deleted from before the cutoff (bot/privacy/rasa_tracker.py).
    rasa_events: int = 0


def cutoff_for(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)


def _batch(session: Session, cutoff: datetime, now: datetime) -> tuple[int, int, int, int]:
    """Anonymise up to BATCH messages older than `cutoff`: (rows selected, rows anonymised,
    annotations kept, annotations removed). Another process may have done some meanwhile."""
    rows = session.execute(
        sa.select(Message.id, Message.seller_id)
        .where(Message.anonymised_at.is_(None), Message.created_at < cutoff)
        .order_by(Message.anonymised_at, Message.created_at)
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    ).all()
    if not rows:
        return 0, 0, 0, 0
    ids = [message_id for message_id, _ in rows]
    kept = removed = 0
    annotations = session.scalars(
        sa.select(NluAnnotation).where(NluAnnotation.message_id.in_(ids))
    ).all()
    if annotations:
        owner = dict(rows)
        terms: dict[int, set[str]] = {}
        for annotation in annotations:
            seller_id = owner[annotation.message_id or 0]
            if seller_id not in terms:
                terms[seller_id] = identity_terms(session, session.get_one(Seller, seller_id))
            if scrub_annotation(session, annotation, terms[seller_id]):
                kept += 1
            else:
                removed += 1
        session.flush()
    updated = session.execute(
        sa.update(Message)
        .where(Message.id.in_(ids), Message.anonymised_at.is_(None))
        .values(
            text=MARKER,
            entities=None,
            intent_ranking=None,
            error=None,
            telegram_message_id=None,
            anonymised_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    count = int(updated.rowcount or 0)  # type: ignore[attr-defined]
    return len(rows), count, kept, removed


def anonymise_before(
    sessions: sessionmaker[Session], *, now: datetime | None = None, days: int
) -> RetentionReport:
    """Anonymise every message older than `days` before `now`; one audit entry (counts only)
    when anything was anonymised."""
    now = now or utcnow()
    cutoff = cutoff_for(now, days)
    messages = kept = removed = 0
    while True:
        with sessions.begin() as session:
            selected, count, batch_kept, batch_removed = _batch(session, cutoff, now)
        messages, kept, removed = messages + count, kept + batch_kept, removed + batch_removed
        if selected < BATCH:
            break
    if messages:
        with sessions.begin() as session:
            session.add(
                AuditEntry(
                    at=now,
                    account_id=None,
                    action=AUDIT_ACTION,
                    target_type=None,
                    target_id=None,
                    detail={
                        "days": days,
                        "messages": messages,
                        "annotations_kept": kept,
                        "annotations_removed": removed,
                    },
                )
            )
    return RetentionReport(cutoff, messages, kept, removed)
