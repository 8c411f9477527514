"""The support desk's inbox: conversation lists with filters, one conversation's messages,
review marks and internal notes. Pure functions on a caller-owned `Session` (nothing is
committed here), returning plain frozen dataclasses a template can read after the session closes.

A conversation is a seller and all their messages. Message filters (dates, intent, confidence,
fallback, feedback, text search) select conversations having at least one message that meets
all of them at once; seller filters (name, handoff, reviewed) apply to the seller. Conversations
come newest first by their latest message (any message, matching or not); the summary shows
that message.

NLU annotations live in `bot.support.annotations` and are re-exported here, so the desk can use
one module for everything it reads and writes about conversations.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from bot.db.models import (
    MAX_ROW_ID,
    Direction,
    Message,
    NluAnnotation,
    Seller,
    StaffAccount,
    StaffNote,
    utcnow,
)
from bot.support import search
from bot.support.annotations import (
    AlreadyExported,
    AnnotationView,
    NotAllowed,
    UnknownIntent,
    add_annotation,
    annotation_intents,
    count_pending_annotations,
    delete_annotation,
    list_pending_annotations,
)

__all__ = [
    "DEFAULT_LOW_CONFIDENCE",
    "AlreadyExported",
    "AnnotationView",
    "ConversationSummary",
    "ConversationView",
    "InboxFilter",
    "MessageView",
    "NotAllowed",
    "NoteView",
    "Page",
    "SellerView",
    "UnknownIntent",
    "add_annotation",
    "add_note",
    "annotation_intents",
    "conversation",
    "count_pending_annotations",
    "delete_annotation",
    "list_conversations",
    "list_notes",
    "list_pending_annotations",
    "mark_reviewed",
    "mark_unreviewed",
]

# Answered, but not by much: the FallbackClassifier (config.yml) gives up below 0.6.
DEFAULT_LOW_CONFIDENCE: Final = 0.7
FALLBACK_INTENT: Final = "nlu_fallback"
FALLBACK_STATUS: Final = "fallback"
MAX_PER_PAGE: Final = 100
MAX_NOTE_CHARS: Final = 4000
MAX_SELLER_QUERY_CHARS: Final = 100

T = TypeVar("T")


@dataclass(frozen=True)
class InboxFilter:
    """Every field optional; None / False means "no filter". `since` is inclusive, `until`
    exclusive (aware datetimes). `seller`: a seller id or Telegram user id (digits), or part of
    the name or username (case-insensitive, "@" optional)."""

    since: datetime | None = None
    until: datetime | None = None
    seller: str | None = None
    intent: str | None = None
    low_confidence_below: float | None = None
    fallback: bool = False
    negative_feedback: bool = False
    handoff: bool = False
    reviewed: bool | None = None
    text: str | None = None


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


@dataclass(frozen=True)
class ConversationSummary:
    seller_id: int
    first_name: str
    last_name: str | None
    username: str | None
    telegram_user_id: int
    is_active: bool
    handoff_state: str | None
    handoff_at: datetime | None
    reviewed: bool
    last_message_at: datetime
    last_message_text: str | None
    last_message_direction: str
    message_count: int
    matching_count: int  # messages meeting the message filters (all of them without any)


@dataclass(frozen=True)
class SellerView:
    id: int
    telegram_user_id: int
    first_name: str
    last_name: str | None
    username: str | None
    language_code: str | None
    is_active: bool
    blocked_at: datetime | None
    created_at: datetime
    last_seen_at: datetime
    handoff_state: str | None
    handoff_at: datetime | None
    reviewed_message_id: int | None


@dataclass(frozen=True)
class MessageView:
    id: int
    created_at: datetime
    direction: str  # "in" or "out"
    kind: str
    text: str | None
    intent: str | None
    confidence: float | None
    entities: list[dict[str, Any]]
    intent_ranking: list[dict[str, Any]]
    delivery_status: str | None
    error: str | None
    in_reply_to_id: int | None
    feedback: str | None  # on incoming messages: "up" / "down" for the answer they got
    feedback_at: datetime | None
    sent_by_account_id: int | None
    sent_by: str | None  # the staff member's username, for replies written in the desk
    answers: tuple[str, ...]  # on incoming messages: the texts sent in reply
    annotations: tuple[AnnotationView, ...]
    reviewed: bool


@dataclass(frozen=True)
class NoteView:
    id: int
    seller_id: int
    text: str
    created_at: datetime
    account_id: int | None
    author: str | None


@dataclass(frozen=True)
class ConversationView:
    seller: SellerView
    messages: list[MessageView]  # oldest first
    has_older: bool  # more messages exist before the first one shown
    notes: list[NoteView]
    reviewed: bool


# --- the list ------------------------------------------------------------------------------------


def _message_conditions(session: Session, f: InboxFilter) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if f.since is not None:
        conditions.append(Message.created_at >= f.since)
    if f.until is not None:
        conditions.append(Message.created_at < f.until)
    if f.intent:
        conditions.append(Message.intent == f.intent)
    if f.low_confidence_below is not None:
        conditions += [
            Message.direction == Direction.IN,
            Message.confidence.is_not(None),
            Message.confidence < f.low_confidence_below,
        ]
    if f.fallback:
        conditions.append(
            sa.or_(Message.intent == FALLBACK_INTENT, Message.delivery_status == FALLBACK_STATUS)
        )
    if f.negative_feedback:
        conditions.append(Message.feedback == "down")
    if f.text and f.text.strip():
        conditions.append(search.for_dialect(session.get_bind().dialect).condition(f.text))
    return conditions


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _unreviewed() -> sa.Exists:
    """A seller (correlated) has an incoming message after their review mark."""
    later = aliased(Message)
    return (
        sa.select(later.id)
        .where(
            later.seller_id == Seller.id,
            later.direction == Direction.IN,
            later.id > sa.func.coalesce(Seller.reviewed_message_id, 0),
        )
        .exists()
    )


def _seller_conditions(f: InboxFilter) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    who = (f.seller or "").strip()[:MAX_SELLER_QUERY_CHARS]
    if who:
        options: list[sa.ColumnElement[bool]] = []
        if who.isdigit():
            # Only in each column's range: PostgreSQL rejects an out-of-range parameter.
            number = int(who)
            if number < 2**63:
                options.append(Seller.telegram_user_id == number)
            if number <= MAX_ROW_ID:
                options.append(Seller.id == number)
        pattern = f"%{_escape_like(who.removeprefix('@').lower())}%"
        for column in (Seller.first_name, Seller.last_name, Seller.username):
            options.append(sa.func.lower(column).like(pattern, escape="\\"))
        conditions.append(sa.or_(*options))
    if f.handoff:
        conditions.append(Seller.handoff_state.is_not(None))
    if f.reviewed is True:
        conditions.append(~_unreviewed())
    elif f.reviewed is False:
        conditions.append(_unreviewed())
    return conditions


def list_conversations(
    session: Session, filters: InboxFilter | None = None, *, page: int = 1, per_page: int = 25
) -> Page[ConversationSummary]:
    """One page of conversations (newest first) and how many match in total."""
    f = filters or InboxFilter()
    page = max(1, page)
    per_page = min(max(1, per_page), MAX_PER_PAGE)

    totals = (
        sa.select(
            Message.seller_id.label("seller_id"),
            sa.func.max(Message.id).label("last_id"),
            sa.func.max(Message.created_at).label("last_at"),
            sa.func.count().label("messages"),
        )
        .group_by(Message.seller_id)
        .subquery("totals")
    )
    matches = (
        sa.select(Message.seller_id.label("seller_id"), sa.func.count().label("hits"))
        .where(*_message_conditions(session, f))
        .group_by(Message.seller_id)
        .subquery("matches")
    )
    last = aliased(Message, name="last_message")
    base = (
        sa.select(Seller.id)
        .join(totals, totals.c.seller_id == Seller.id)
        .join(matches, matches.c.seller_id == Seller.id)
        .where(*_seller_conditions(f))
    )
    total = session.scalar(sa.select(sa.func.count()).select_from(base.subquery())) or 0

    rows = session.execute(
        sa.select(
            Seller,
            last,
            totals.c.last_at,
            totals.c.messages,
            matches.c.hits,
            (~_unreviewed()).label("reviewed"),
        )
        .join(totals, totals.c.seller_id == Seller.id)
        .join(matches, matches.c.seller_id == Seller.id)
        .join(last, last.id == totals.c.last_id)
        .where(*_seller_conditions(f))
        .order_by(totals.c.last_at.desc(), totals.c.last_id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    items = [
        ConversationSummary(
            seller_id=seller.id,
            first_name=seller.first_name,
            last_name=seller.last_name,
            username=seller.username,
            telegram_user_id=seller.telegram_user_id,
            is_active=seller.is_active,
            handoff_state=seller.handoff_state,
            handoff_at=seller.handoff_at,
            reviewed=bool(reviewed),
            last_message_at=last_at,
            last_message_text=message.text,
            last_message_direction=str(message.direction),
            message_count=int(count),
            matching_count=int(hits),
        )
        for seller, message, last_at, count, hits, reviewed in rows
    ]
    return Page(items=items, total=int(total), page=page, per_page=per_page)


# --- one conversation ----------------------------------------------------------------------------


def _seller_view(seller: Seller) -> SellerView:
    return SellerView(
        id=seller.id,
        telegram_user_id=seller.telegram_user_id,
        first_name=seller.first_name,
        last_name=seller.last_name,
        username=seller.username,
        language_code=seller.language_code,
        is_active=seller.is_active,
        blocked_at=seller.blocked_at,
        created_at=seller.created_at,
        last_seen_at=seller.last_seen_at,
        handoff_state=seller.handoff_state,
        handoff_at=seller.handoff_at,
        reviewed_message_id=seller.reviewed_message_id,
    )


def conversation(session: Session, seller_id: int, *, limit: int = 500) -> ConversationView | None:
    """A seller's latest `limit` messages (oldest first) with everything staff review: NLU
    reading, the answers each question got, feedback, staff authors, annotations; and notes."""
    seller = session.get(Seller, seller_id)
    if seller is None:
        return None
    newest_first = session.execute(
        sa.select(Message, StaffAccount.username)
        .outerjoin(StaffAccount, StaffAccount.id == Message.sent_by_account_id)
        .where(Message.seller_id == seller_id)
        .order_by(Message.id.desc())
        .limit(limit + 1)
    ).all()
    has_older = len(newest_first) > limit
    rows = list(reversed(newest_first[:limit]))
    ids = [message.id for message, _ in rows]

    answers: dict[int, list[str]] = defaultdict(list)
    for message, _ in rows:
        if message.direction == Direction.OUT and message.in_reply_to_id and message.text:
            answers[message.in_reply_to_id].append(message.text)
    annotations: dict[int, list[AnnotationView]] = defaultdict(list)
    if ids:
        found = session.execute(
            sa.select(NluAnnotation, StaffAccount.username)
            .outerjoin(StaffAccount, StaffAccount.id == NluAnnotation.account_id)
            .where(NluAnnotation.message_id.in_(ids))
            .order_by(NluAnnotation.id)
        ).all()
        for annotation, author in found:
            assert annotation.message_id is not None
            annotations[annotation.message_id].append(AnnotationView.of(annotation, author))

    mark = seller.reviewed_message_id or 0
    messages = [
        MessageView(
            id=message.id,
            created_at=message.created_at,
            direction=str(message.direction),
            kind=message.kind,
            text=message.text,
            intent=message.intent,
            confidence=message.confidence,
            entities=list(message.entities or []),
            intent_ranking=list(message.intent_ranking or []),
            delivery_status=message.delivery_status,
            error=message.error,
            in_reply_to_id=message.in_reply_to_id,
            feedback=message.feedback,
            feedback_at=message.feedback_at,
            sent_by_account_id=message.sent_by_account_id,
            sent_by=author,
            answers=tuple(answers.get(message.id, ())),
            annotations=tuple(annotations.get(message.id, ())),
            reviewed=message.id <= mark,
        )
        for message, author in rows
    ]
    unreviewed = session.scalar(
        sa.select(
            sa.select(Message.id)
            .where(
                Message.seller_id == seller_id,
                Message.direction == Direction.IN,
                Message.id > mark,
            )
            .exists()
        )
    )
    return ConversationView(
        seller=_seller_view(seller),
        messages=messages,
        has_older=has_older,
        notes=list_notes(session, seller_id),
        reviewed=not unreviewed,
    )


def mark_reviewed(session: Session, seller_id: int, up_to_message_id: int | None = None) -> int:
    """Mark the conversation reviewed up to a message (default: its latest). Pass the last
    message the reviewer saw, so messages arriving meanwhile stay unreviewed. The mark never
    moves back. Returns the mark. Raises LookupError for an unknown seller."""
    seller = session.get(Seller, seller_id)
    if seller is None:
        raise LookupError(f"no seller {seller_id}")
    latest = session.scalar(
        sa.select(sa.func.max(Message.id)).where(Message.seller_id == seller_id)
    )
    target = latest if up_to_message_id is None else min(up_to_message_id, latest or 0)
    mark = max(seller.reviewed_message_id or 0, target or 0)
    seller.reviewed_message_id = mark or None
    return mark


def mark_unreviewed(session: Session, seller_id: int) -> None:
    """Put the whole conversation back in the "not reviewed" list."""
    seller = session.get(Seller, seller_id)
    if seller is None:
        raise LookupError(f"no seller {seller_id}")
    seller.reviewed_message_id = None


# --- notes ---------------------------------------------------------------------------------------


def add_note(
    session: Session,
    seller_id: int,
    account_id: int | None,
    text: str,
    *,
    now: datetime | None = None,
) -> NoteView:
    """An internal note on a conversation (sellers never see notes). Raises ValueError for an
    empty or over-long note, LookupError for an unknown seller."""
    text = text.strip()
    if not text:
        raise ValueError("a note needs text")
    if len(text) > MAX_NOTE_CHARS:
        raise ValueError(f"a note is at most {MAX_NOTE_CHARS} characters")
    if session.get(Seller, seller_id) is None:
        raise LookupError(f"no seller {seller_id}")
    note = StaffNote(
        seller_id=seller_id, account_id=account_id, text=text, created_at=now or utcnow()
    )
    session.add(note)
    session.flush()
    author = session.get(StaffAccount, account_id) if account_id is not None else None
    return _note_view(note, author.username if author else None)


def list_notes(session: Session, seller_id: int) -> list[NoteView]:
    """A conversation's notes, oldest first."""
    rows = session.execute(
        sa.select(StaffNote, StaffAccount.username)
        .outerjoin(StaffAccount, StaffAccount.id == StaffNote.account_id)
        .where(StaffNote.seller_id == seller_id)
        .order_by(StaffNote.id)
    ).all()
    return [_note_view(note, author) for note, author in rows]


def _note_view(note: StaffNote, author: str | None) -> NoteView:
    return NoteView(
        id=note.id,
        seller_id=note.seller_id,
        text=note.text,
        created_at=note.created_at,
        account_id=note.account_id,
        author=author,
    )
