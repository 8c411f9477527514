"""NLU annotations: staff's corrections of misunderstood seller messages (the right intent,
and the example to learn from), waiting for `akar nlu export-annotations`. Functions on a
caller-owned `Session`; nothing is committed here.

A message has at most one pending annotation: annotating it again replaces the pending one
(a second one would only be skipped as a duplicate at export). Until it is exported, an
annotation can be deleted; replacing or deleting one is for its author or an admin.
"""

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


class NotAllowed(PermissionError):
    """Only an annotation's author or an admin may replace or delete it."""

    def __init__(self, authors: list[str | None]) -> None:
        super().__init__(f"annotation by {authors}")
        self.authors = authors


class AlreadyExported(ValueError):
    """The annotation is already in the training data file: the desk can no longer change it."""


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
    replaced: tuple[int, ...] = ()  # add_annotation: the pending annotations this one replaced

    @property
    def pending(self) -> bool:
        return self.exported_at is None

    def may_change(self, account_id: int | None, *, admin: bool) -> bool:
        """Whether this person may replace or delete it (still pending, and theirs or admin)."""
        return self.pending and may_change(self.account_id, account_id, admin=admin)

    @classmethod
    def of(
        cls, annotation: NluAnnotation, author: str | None, replaced: tuple[int, ...] = ()
    ) -> AnnotationView:
        return cls(
            id=annotation.id,
            message_id=annotation.message_id,
            intent=annotation.intent,
            example=annotation.example,
            account_id=annotation.account_id,
            author=author,
            created_at=annotation.created_at,
            exported_at=annotation.exported_at,
            replaced=replaced,
        )


def may_change(author_id: int | None, account_id: int | None, *, admin: bool) -> bool:
    """An annotation's author (`author_id`) or an admin may replace or delete it."""
    return admin or author_id == account_id


def _username(session: Session, account_id: int | None) -> str | None:
    account = session.get(StaffAccount, account_id) if account_id is not None else None
    return account.username if account else None


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
    admin: bool = False,
    now: datetime | None = None,
    domain_dir: Path = DOMAIN_DIR,
) -> AnnotationView:
    """Record the right intent for a seller's message; `example` defaults to the message's own
    text (staff may write a cleaner one). A pending annotation of the same message is replaced
    (its ids are in the result's `replaced`). Raises UnknownIntent, LookupError (no such
    incoming message), ValueError (empty or over-long example) or NotAllowed (the pending
    annotation is someone else's and `admin` is false)."""
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
    pending = session.scalars(
        sa.select(NluAnnotation)
        .where(NluAnnotation.message_id == message_id, NluAnnotation.exported_at.is_(None))
        .order_by(NluAnnotation.id)
    ).all()
    others = [p for p in pending if not may_change(p.account_id, account_id, admin=admin)]
    if others:
        raise NotAllowed([_username(session, p.account_id) for p in others])
    replaced = tuple(p.id for p in pending)
    for old in pending:
        session.delete(old)
    annotation = NluAnnotation(
        message_id=message_id,
        intent=intent,
        example=text,
        account_id=account_id,
        created_at=now or utcnow(),
    )
    session.add(annotation)
    session.flush()
    return AnnotationView.of(annotation, _username(session, account_id), replaced)


def delete_annotation(
    session: Session, annotation_id: int, *, account_id: int | None, admin: bool = False
) -> AnnotationView:
    """Delete an annotation that is not exported yet; returns what it was. Raises LookupError
    (no such annotation), AlreadyExported, or NotAllowed (neither its author nor `admin`)."""
    annotation = session.get(NluAnnotation, annotation_id)
    if annotation is None:
        raise LookupError(f"no annotation {annotation_id}")
    view = AnnotationView.of(annotation, _username(session, annotation.account_id))
    if annotation.exported_at is not None:
        raise AlreadyExported(annotation_id)
    if not may_change(annotation.account_id, account_id, admin=admin):
        raise NotAllowed([view.author])
    session.delete(annotation)
    session.flush()
    return view


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
