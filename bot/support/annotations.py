"""NLU annotations: staff's corrections of misunderstood seller messages (the right intent,
and the example to learn from), waiting for `akar nlu export-annotations`. Functions on a
caller-owned `Session`; nothing is committed here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.db.models import Direction, Message, NluAnnotation, StaffAccount, utcnow
from bot.support.intents import DOMAIN_DIR, known_intents

MAX_EXAMPLE_CHARS: Final = 500


class UnknownIntent(ValueError):
    """Not an intent of the domain (or a bare topic that needs its sub-question)."""


@dataclass(frozen=True)
class AnnotationView:
    id: int
    message_id: int | None
    intent: str
    example: str
    account_id: int | None
    author: str | None
    created_at: datetime
    exported_at: datetime | None

    @classmethod
    def of(cls, annotation: NluAnnotation, author: str | None) -> AnnotationView:
        return cls(
            id=annotation.id,
            message_id=annotation.message_id,
            intent=annotation.intent,
            example=annotation.example,
            account_id=annotation.account_id,
            author=author,
            created_at=annotation.created_at,
            exported_at=annotation.exported_at,
        )


def annotation_intents(domain_dir: Path = DOMAIN_DIR) -> list[str]:
    """The intents staff can choose, sorted (for the desk's drop-down)."""
    return sorted(known_intents(domain_dir))


def add_annotation(
    session: Session,
    message_id: int,
    intent: str,
    example: str | None = None,
    *,
    account_id: int | None = None,
    now: datetime | None = None,
    domain_dir: Path = DOMAIN_DIR,
) -> AnnotationView:
    """Record the right intent for a seller's message; `example` defaults to the message's own
    text (staff may write a cleaner one). Raises UnknownIntent, LookupError (no such incoming
    message) or ValueError (empty or over-long example)."""
    if intent not in known_intents(domain_dir):
        raise UnknownIntent(intent)
    message = session.get(Message, message_id)
    if message is None or message.direction != Direction.IN:
        raise LookupError(f"no incoming message {message_id}")
    text = " ".join((example if example is not None else message.text or "").split())
    if not text:
        raise ValueError("an annotation needs an example text")
    if len(text) > MAX_EXAMPLE_CHARS:
        raise ValueError(f"an example is at most {MAX_EXAMPLE_CHARS} characters")
    annotation = NluAnnotation(
        message_id=message_id,
        intent=intent,
        example=text,
        account_id=account_id,
        created_at=now or utcnow(),
    )
    session.add(annotation)
    session.flush()
    author = session.get(StaffAccount, account_id) if account_id is not None else None
    return AnnotationView.of(annotation, author.username if author else None)


def list_pending_annotations(session: Session) -> list[AnnotationView]:
    """Annotations not yet exported, oldest first."""
    rows = session.execute(
        sa.select(NluAnnotation, StaffAccount.username)
        .outerjoin(StaffAccount, StaffAccount.id == NluAnnotation.account_id)
        .where(NluAnnotation.exported_at.is_(None))
        .order_by(NluAnnotation.id)
    ).all()
    return [AnnotationView.of(annotation, author) for annotation, author in rows]


def count_pending_annotations(session: Session) -> int:
    """How many annotations wait for the next export (the desk shows this)."""
    count = session.scalar(
        sa.select(sa.func.count())
        .select_from(NluAnnotation)
        .where(NluAnnotation.exported_at.is_(None))
    )
    return int(count or 0)
