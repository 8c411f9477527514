"""Deleting everything the assistant keeps about one seller, at their request (/hapusdata).

One transaction on a caller-owned session: the seller's messages (the SQLite search index
follows through its triggers), profile, lesson progress, quiz answers, certificates (their
codes then no longer verify), broadcast deliveries, staff notes, a trainer's broadcast draft,
and finally the `sellers` row itself, with its handoff state, review mark, notice record and
broadcast opt-out. Nothing keeps the Telegram user id: the next message from that account
creates a new seller, as for someone who never wrote.

Kept, because they are not about the seller: broadcasts a trainer created (their
`created_by`/report chat are cleared), staff accounts and roles (access is managed by admins),
the audit log (its entry for this deletion holds counts only). NLU annotations made on the
seller's messages are training examples staff wrote: each one's example is masked and kept
only if it names nobody (the seller's names, username, nickname or shop name); otherwise it
is deleted.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.db import repository
from bot.db.models import (
    AuditEntry,
    Broadcast,
    BroadcastDelivery,
    BroadcastDraft,
    Certificate,
    DripSeries,
    LessonProgress,
    Message,
    NluAnnotation,
    QuizAnswer,
    Seller,
    SellerProfile,
    StaffNote,
    utcnow,
)
from bot.privacy.masking import mask

AUDIT_ACTION = "privacy_deletion"
MIN_TERM_CHARS = 3


@dataclass(frozen=True)
class DeletionReport:
    """How many rows went, per kind (what the audit entry records: counts, no identities)."""

    messages: int = 0
    profile: int = 0
    lesson_progress: int = 0
    quiz_answers: int = 0
    certificates: int = 0
    broadcast_deliveries: int = 0
    staff_notes: int = 0
    drafts: int = 0
    annotations_kept: int = 0
    annotations_removed: int = 0

    def audit_detail(self) -> dict[str, Any]:
        return asdict(self)


def identity_terms(session: Session, seller: Seller) -> set[str]:
    """Words that name this seller: Telegram names and username, profile nickname and shop."""
    profile = session.scalar(sa.select(SellerProfile).where(SellerProfile.seller_id == seller.id))
    values = [seller.first_name, seller.last_name, seller.username]
    if profile is not None:
        values += [profile.nickname, profile.shop_name]
    terms: set[str] = set()
    for value in values:
        if not value:
            continue
        whole = " ".join(value.split()).lower()
        terms.add(whole)
        terms.update(part for part in re.split(r"[\s_.@-]+", whole) if part)
    return {term for term in terms if len(term) >= MIN_TERM_CHARS}


def names_anyone(text: str, terms: set[str]) -> bool:
    lowered = text.lower()
    return any(re.search(rf"(?<!\w){re.escape(term)}(?!\w)", lowered) for term in terms)


def scrub_annotation(session: Session, annotation: NluAnnotation, terms: set[str]) -> bool:
    """Keep the annotation with its example masked, or delete it if the example still names
    the seller. True if kept."""
    masked = mask(annotation.example)
    if names_anyone(masked, terms):
        session.delete(annotation)
        return False
    annotation.example = masked
    return True


def _delete(session: Session, statement: Any) -> int:
    result = session.execute(statement)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def delete_seller_data(
    session: Session, telegram_user_id: int, *, now: datetime | None = None
) -> DeletionReport | None:
    """Delete the seller with this Telegram id and everything about them; None if there is no
    such seller (already deleted: deleting again is a no-op). Adds the audit entry."""
    seller = repository.get_seller_by_telegram_id(session, telegram_user_id)
    if seller is None:
        return None
    sid, chat_id, user_id = seller.id, seller.chat_id, telegram_user_id
    terms = identity_terms(session, seller)

    own_messages = sa.select(Message.id).where(Message.seller_id == sid)
    kept = removed = 0
    annotations = session.scalars(
        sa.select(NluAnnotation).where(NluAnnotation.message_id.in_(own_messages))
    ).all()
    for annotation in annotations:
        if scrub_annotation(session, annotation, terms):
            annotation.message_id = None
            kept += 1
        else:
            removed += 1
    session.flush()

    counts = {
        "quiz_answers": _delete(session, sa.delete(QuizAnswer).where(QuizAnswer.seller_id == sid)),
        "lesson_progress": _delete(
            session, sa.delete(LessonProgress).where(LessonProgress.seller_id == sid)
        ),
        "certificates": _delete(
            session, sa.delete(Certificate).where(Certificate.seller_id == sid)
        ),
        "profile": _delete(session, sa.delete(SellerProfile).where(SellerProfile.seller_id == sid)),
        "staff_notes": _delete(session, sa.delete(StaffNote).where(StaffNote.seller_id == sid)),
        "broadcast_deliveries": _delete(
            session, sa.delete(BroadcastDelivery).where(BroadcastDelivery.seller_id == sid)
        ),
        "messages": _delete(session, sa.delete(Message).where(Message.seller_id == sid)),
        "drafts": _delete(
            session, sa.delete(BroadcastDraft).where(BroadcastDraft.telegram_user_id == user_id)
        ),
    }
    # A trainer's broadcasts stay (they were the programme's messages), without their name on.
    session.execute(
        sa.update(Broadcast).where(Broadcast.created_by == user_id).values(created_by=None)
    )
    session.execute(
        sa.update(Broadcast).where(Broadcast.report_chat_id == chat_id).values(report_chat_id=None)
    )
    session.execute(
        sa.update(DripSeries).where(DripSeries.created_by == user_id).values(created_by=None)
    )
    session.execute(sa.delete(Seller).where(Seller.id == sid))
    session.expunge(seller)
    report = DeletionReport(annotations_kept=kept, annotations_removed=removed, **counts)
    session.add(
        AuditEntry(
            at=now or utcnow(),
            account_id=None,
            action=AUDIT_ACTION,
            target_type="seller",
            target_id=None,
            detail=report.audit_detail(),
        )
    )
    session.flush()
    return report
