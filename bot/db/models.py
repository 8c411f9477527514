"""Tables: Telegram sellers and every message exchanged with them.

Portability rules (SQLite in development, PostgreSQL in production):

* Telegram user and chat ids exceed 32 bits, so they are `BigInteger`.
* Timestamps are timezone-aware UTC everywhere in Python (`UtcDateTime`), whatever the backend
  keeps on disk, so comparisons never mix naive and aware datetimes.
* JSON goes in `sa.JSON` (TEXT on SQLite, JSON on PostgreSQL).
* Constraint names follow `NAMING_CONVENTION`, so the names the models produce, the names the
  migrations write and the names Alembic batch mode needs on SQLite are all the same.
* Enumerations are short strings with a CHECK constraint, not native database enums, so adding a
  value later is a one-line migration instead of an `ALTER TYPE` dance.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (the only kind of datetime stored)."""
    return datetime.now(UTC)


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """`DateTime(timezone=True)` that always hands back aware UTC datetimes.

    PostgreSQL keeps the offset (`timestamptz`); SQLite has no datetime type and SQLAlchemy would
    silently drop the offset, returning naive values. Converting to UTC on the way in and
    re-attaching UTC on the way out gives the same aware values on both. Naive datetimes are
    rejected: guessing their timezone is how off-by-seven-hours (WIB) bugs are born.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware one, e.g. datetime.now(UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Direction(enum.StrEnum):
    """Which way a message went: from the seller to the bot, or from the bot to the seller."""

    IN = "in"
    OUT = "out"


class MessageKind(enum.StrEnum):
    """What a Telegram message was.

    Stored as a plain string without a CHECK constraint: a new kind needs no migration.
    """

    TEXT = "text"
    COMMAND = "command"
    CALLBACK = "callback"
    STICKER = "sticker"
    PHOTO = "photo"
    VOICE = "voice"
    DOCUMENT = "document"
    LOCATION = "location"
    CONTACT = "contact"
    EDITED = "edited"
    OTHER = "other"


def _enum_values(enum_class: type[enum.Enum]) -> list[str]:
    """Store an enum's values ("in"), not its member names ("IN")."""
    return [str(member.value) for member in enum_class]


MAX_ROW_ID: Final = 2**31 - 1
"""The largest value of an `id` primary key (INTEGER: 32 bits on PostgreSQL). An id from outside
(a URL, callback data) above it names no row, and PostgreSQL rejects it as a query parameter
("integer out of range") instead of finding nothing, so check it first."""


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class Seller(Base):
    """A Telegram user who talked to the bot.

    `is_active` turns false when Telegram tells us the user blocked the bot (sending to them then
    fails), and true again when they write again; `blocked_at` is when the current block started.
    """

    __tablename__ = "sellers"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(sa.BigInteger, unique=True, index=True)
    chat_id: Mapped[int] = mapped_column(sa.BigInteger)
    first_name: Mapped[str] = mapped_column(sa.String(255))
    last_name: Mapped[str | None] = mapped_column(sa.String(255))
    username: Mapped[str | None] = mapped_column(sa.String(64))
    language_code: Mapped[str | None] = mapped_column(sa.String(35))
    is_active: Mapped[bool] = mapped_column(default=True)
    blocked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    # /berhenti: the seller wants no broadcasts (answers to their own questions still come).
    broadcast_opt_out: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Human handoff (issue #6): "requested" pauses automatic answers until staff hand the chat
    # back to the bot; `handoff_at` is when it was requested.
    handoff_state: Mapped[str | None] = mapped_column(sa.String(16), index=True)
    handoff_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Support review: every message up to this id has been reviewed by staff.
    reviewed_message_id: Mapped[int | None] = mapped_column()
    # Privacy (issue #7): when the seller was shown the privacy notice, and which version of it
    # (content/privasi.md); None until their first /start.
    privacy_notice_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    privacy_notice_version: Mapped[str | None] = mapped_column(sa.String(32))

    def __repr__(self) -> str:
        return f"Seller(id={self.id!r}, telegram_user_id={self.telegram_user_id!r})"


class Message(Base):
    """One message in either direction, kept for support staff to review.

    Incoming rows carry what the NLU understood (`intent`, `confidence`, `entities`,
    `intent_ranking`) and in `delivery_status` what the bot did with them (`answered`,
    `rasa_unavailable`, `no_reply`, `ignored`, ...). Outgoing rows point at the incoming message
    they answer (`in_reply_to_id`) and record whether Telegram accepted them (`sent`, `failed`,
    `blocked`). `error` keeps the exception text when something went wrong. Statuses are plain
    strings (no CHECK) so the bot can add finer ones without a migration.
    """

    __tablename__ = "messages"
    __table_args__ = (
        # A seller's transcript: WHERE seller_id = ? ORDER BY created_at. Also serves seller_id
        # alone (the foreign key), so no separate index on it.
        sa.Index("ix_messages_seller_id_created_at", "seller_id", "created_at"),
        # The retention job: WHERE anonymised_at IS NULL AND created_at < cutoff, without
        # walking every row it already anonymised.
        sa.Index("ix_messages_anonymised_at_created_at", "anonymised_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int] = mapped_column(sa.ForeignKey("sellers.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(sa.BigInteger)
    direction: Mapped[Direction] = mapped_column(
        sa.Enum(
            Direction,
            name="direction",
            native_enum=False,
            create_constraint=True,
            length=3,
            values_callable=_enum_values,
            validate_strings=True,
        )
    )
    kind: Mapped[str] = mapped_column(sa.String(16))
    telegram_message_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    text: Mapped[str | None] = mapped_column(sa.Text)
    intent: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    confidence: Mapped[float | None] = mapped_column(sa.Float)
    # none_as_null: "no NLU result" is SQL NULL, not the JSON literal `null`.
    entities: Mapped[list[dict[str, Any]] | None] = mapped_column(sa.JSON(none_as_null=True))
    intent_ranking: Mapped[list[dict[str, Any]] | None] = mapped_column(sa.JSON(none_as_null=True))
    # Indexed because deleting a message (a seller's cascade) looks up the replies pointing at it.
    in_reply_to_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("messages.id", ondelete="SET NULL"), index=True
    )
    delivery_status: Mapped[str | None] = mapped_column(sa.String(32))
    error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)
    # On an incoming message: the seller's 👍/👎 on the answer it got ("up" / "down").
    feedback: Mapped[str | None] = mapped_column(sa.String(8))
    feedback_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # On an outgoing message written by a person in the support desk rather than the bot.
    sent_by_account_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("staff_accounts.id", ondelete="SET NULL")
    )
    # Set by the retention job (bot/privacy/retention.py) when it removed the content.
    anonymised_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    seller: Mapped[Seller] = relationship()
    in_reply_to: Mapped[Message | None] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"Message(id={self.id!r}, direction={self.direction!r}, kind={self.kind!r})"


class ContentModule(Base):
    """An AKAR training module, imported from `content/modules/` by `akar content sync`.

    Rows are never deleted: a module or lesson removed from the files gets `retired_at`, so the
    progress sellers made in it stays valid and is still counted.
    """

    __tablename__ = "content_modules"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(20), unique=True)
    number: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(120))
    topic: Mapped[str] = mapped_column(sa.String(64))
    summary: Mapped[str] = mapped_column(sa.Text)
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    lessons: Mapped[list[ContentLesson]] = relationship(
        back_populates="module", order_by="ContentLesson.position"
    )

    def __repr__(self) -> str:
        return f"ContentModule(key={self.key!r}, number={self.number!r})"


class ContentLesson(Base):
    """One lesson: its parts (shown one message at a time) and sources.

    The integer `id` is what Telegram buttons carry (callback data is limited to 64 bytes);
    `fingerprint` lets a sync skip lessons whose content did not change.
    """

    __tablename__ = "content_lessons"
    __table_args__ = (sa.UniqueConstraint("module_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(sa.ForeignKey("content_modules.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(24))
    position: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(120))
    minutes: Mapped[int]
    parts: Mapped[list[dict[str, str]]] = mapped_column(sa.JSON())
    sources: Mapped[list[str]] = mapped_column(sa.JSON())
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    module: Mapped[ContentModule] = relationship(back_populates="lessons")
    questions: Mapped[list[ContentQuestion]] = relationship(
        back_populates="lesson", order_by="ContentQuestion.position"
    )

    def __repr__(self) -> str:
        return f"ContentLesson(id={self.id!r}, key={self.key!r})"


class ContentQuestion(Base):
    """A quiz question of a lesson; `options` is a list of [key, text] pairs in display order."""

    __tablename__ = "content_questions"
    __table_args__ = (sa.UniqueConstraint("lesson_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(sa.ForeignKey("content_lessons.id", ondelete="CASCADE"))
    position: Mapped[int]
    question: Mapped[str] = mapped_column(sa.Text)
    options: Mapped[list[list[str]]] = mapped_column(sa.JSON())
    answer: Mapped[str] = mapped_column(sa.String(1))
    explanation: Mapped[str] = mapped_column(sa.Text)
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    lesson: Mapped[ContentLesson] = relationship(back_populates="questions")


class LessonProgress(Base):
    """Where a seller is in a lesson: the part last shown, and when its quiz was finished.

    One row per seller and lesson, so a restart of the bot resumes exactly where the seller was.
    `score` is the number of right answers in the last finished quiz.
    """

    __tablename__ = "lesson_progress"
    __table_args__ = (sa.UniqueConstraint("seller_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int] = mapped_column(sa.ForeignKey("sellers.id", ondelete="CASCADE"))
    lesson_id: Mapped[int] = mapped_column(
        sa.ForeignKey("content_lessons.id", ondelete="CASCADE"), index=True
    )
    part: Mapped[int] = mapped_column(default=0)
    score: Mapped[int | None]
    started_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    lesson: Mapped[ContentLesson] = relationship()


class QuizAnswer(Base):
    """A seller's latest answer to a quiz question (answering again replaces it)."""

    __tablename__ = "quiz_answers"
    __table_args__ = (sa.UniqueConstraint("seller_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int] = mapped_column(sa.ForeignKey("sellers.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("content_questions.id", ondelete="CASCADE"), index=True
    )
    chosen: Mapped[str] = mapped_column(sa.String(1))
    correct: Mapped[bool]
    answered_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Certificate(Base):
    """A module completion certificate. `code` is printed on the PDF and checked by
    `akar certificate verify CODE`; the name and title are kept as issued, so a later rename of
    the seller or the module never changes what a certificate says."""

    __tablename__ = "certificates"
    __table_args__ = (sa.UniqueConstraint("seller_id", "module_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    seller_id: Mapped[int] = mapped_column(sa.ForeignKey("sellers.id", ondelete="CASCADE"))
    module_id: Mapped[int] = mapped_column(
        sa.ForeignKey("content_modules.id", ondelete="CASCADE"), index=True
    )
    seller_name: Mapped[str] = mapped_column(sa.String(255))
    module_title: Mapped[str] = mapped_column(sa.String(120))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class SellerProfile(Base):
    """What a seller told the onboarding questions (/start, /profil); every field is optional.

    Used to recommend lessons and, later, for trainers' broadcast segments. `step` is the
    question being asked right now (None when not filling in), so a restart mid-way resumes.
    `platforms` is a list of canonical marketplace names.
    """

    __tablename__ = "seller_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int] = mapped_column(
        sa.ForeignKey("sellers.id", ondelete="CASCADE"), unique=True
    )
    nickname: Mapped[str | None] = mapped_column(sa.String(64))
    shop_name: Mapped[str | None] = mapped_column(sa.String(120))
    platforms: Mapped[list[str]] = mapped_column(sa.JSON(), default=list)
    cluster: Mapped[str | None] = mapped_column(sa.String(32))
    city: Mapped[str | None] = mapped_column(sa.String(120))
    experience: Mapped[str | None] = mapped_column(sa.String(32))
    step: Mapped[str | None] = mapped_column(sa.String(32))
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Role(enum.StrEnum):
    ADMIN = "admin"
    TRAINER = "trainer"
    SUPPORT = "support"


class StaffRole(Base):
    """Who may use trainer, support or admin features, by Telegram user id (they may not have
    written to the bot yet). One role per person; every privileged command checks this table."""

    __tablename__ = "staff_roles"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(sa.BigInteger, unique=True)
    role: Mapped[Role] = mapped_column(
        sa.Enum(
            Role,
            name="role",
            native_enum=False,
            create_constraint=True,
            length=16,
            values_callable=_enum_values,
            validate_strings=True,
        )
    )
    granted_by: Mapped[int | None] = mapped_column(sa.BigInteger)
    granted_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Broadcast(Base):
    """A message a trainer sends to many sellers; `segment` says who (bot/broadcast/segments.py).

    status: scheduled -> sending -> done, or cancelled at any point before done.
    """

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by: Mapped[int | None] = mapped_column(sa.BigInteger)
    text: Mapped[str] = mapped_column(sa.Text)
    module_key: Mapped[str | None] = mapped_column(sa.String(20))
    segment: Mapped[dict[str, Any]] = mapped_column(sa.JSON())
    status: Mapped[str] = mapped_column(sa.String(16), default="scheduled")
    scheduled_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Content beyond plain text: Telegram HTML (the trainer's formatting), a photo or document
    # (Telegram file id, reusable by the same bot) and a button to a lesson (l:<id>:0).
    parse_mode: Mapped[str | None] = mapped_column(sa.String(10))
    media_kind: Mapped[str | None] = mapped_column(sa.String(10))
    media_file_id: Mapped[str | None] = mapped_column(sa.String(255))
    lesson_id: Mapped[int | None] = mapped_column()
    # Where the trainer's progress message lives (edited in place) and when the final report went.
    report_chat_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    report_message_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    reported_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class BroadcastDraft(Base):
    """A broadcast being composed with /siaran: one per trainer, the step says what comes next.

    Kept in the database like every other conversation state, so a bot restart mid-way resumes.
    """

    __tablename__ = "broadcast_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(sa.BigInteger, unique=True)
    chat_id: Mapped[int] = mapped_column(sa.BigInteger)
    step: Mapped[str] = mapped_column(sa.String(16))
    text: Mapped[str | None] = mapped_column(sa.Text)
    parse_mode: Mapped[str | None] = mapped_column(sa.String(10))
    media_kind: Mapped[str | None] = mapped_column(sa.String(10))
    media_file_id: Mapped[str | None] = mapped_column(sa.String(255))
    module_key: Mapped[str | None] = mapped_column(sa.String(20))
    lesson_id: Mapped[int | None] = mapped_column()
    segment: Mapped[dict[str, Any]] = mapped_column(sa.JSON(), default=dict)
    scheduled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class BroadcastDelivery(Base):
    """The outbox: one row per recipient of a broadcast.

    pending -> sending (claimed by the sender) -> sent | blocked | failed; opted_out and
    cancelled are final too. A row left in `sending` by a crash goes back to pending on restart,
    so it may be sent twice; no row is ever lost (docs/ARCHITECTURE.md states the guarantee).
    """

    __tablename__ = "broadcast_deliveries"
    __table_args__ = (
        sa.UniqueConstraint("broadcast_id", "seller_id"),
        sa.Index("ix_broadcast_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(sa.ForeignKey("broadcasts.id", ondelete="CASCADE"))
    seller_id: Mapped[int] = mapped_column(
        sa.ForeignKey("sellers.id", ondelete="CASCADE"), index=True
    )
    chat_id: Mapped[int] = mapped_column(sa.BigInteger)
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    telegram_message_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    error: Mapped[str | None] = mapped_column(sa.Text)


class DripSeries(Base):
    """A lesson series attached to a module's enrolment (bot/broadcast/drip.py).

    A seller enrols by opening any lesson of `module_key`; each step then reaches them
    `day_offset` days later at `local_hour` in their own time zone. Stopping a series sets
    `active` false (rows are kept for the trainer's reports).
    """

    __tablename__ = "drip_series"
    __table_args__ = (sa.CheckConstraint("local_hour BETWEEN 0 AND 23", name="local_hour"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    module_key: Mapped[str] = mapped_column(sa.String(20))
    local_hour: Mapped[int] = mapped_column(default=9)
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[int | None] = mapped_column(sa.BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    steps: Mapped[list[DripStep]] = relationship(
        back_populates="series", order_by="DripStep.position", cascade="all, delete-orphan"
    )


class DripStep(Base):
    """One lesson of a drip series. It owns a `Broadcast` (status "drip") whose delivery rows
    are added seller by seller as each one's day comes, so the outbox and the sender need no
    drip-specific code."""

    __tablename__ = "drip_steps"
    __table_args__ = (sa.UniqueConstraint("series_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(sa.ForeignKey("drip_series.id", ondelete="CASCADE"))
    position: Mapped[int]
    day_offset: Mapped[int]
    lesson_id: Mapped[int] = mapped_column(
        sa.ForeignKey("content_lessons.id", ondelete="CASCADE"), index=True
    )
    broadcast_id: Mapped[int] = mapped_column(
        sa.ForeignKey("broadcasts.id", ondelete="CASCADE"), unique=True
    )

    series: Mapped[DripSeries] = relationship(back_populates="steps")
    lesson: Mapped[ContentLesson] = relationship()


class StaffAccount(Base):
    """A login for the support desk (issue #6). The role is not stored here: it is read from
    `staff_roles` through `telegram_user_id` on every request, so /peran and
    `akar users revoke` take effect in the desk at once."""

    __tablename__ = "staff_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    telegram_user_id: Mapped[int] = mapped_column(sa.BigInteger, unique=True)
    disabled: Mapped[bool] = mapped_column(default=False)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class StaffSession(Base):
    """A signed-in browser. The cookie carries a random token; only its SHA-256 is stored, so
    a leaked database does not give working sessions. A new row (new id) at every login."""

    __tablename__ = "staff_sessions"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)  # sha256 hex of the token
    account_id: Mapped[int] = mapped_column(
        sa.ForeignKey("staff_accounts.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AuditEntry(Base):
    """What staff did with sellers' personal data: viewed, exported, replied, annotated, ..."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)
    account_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("staff_accounts.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(sa.String(32))
    target_type: Mapped[str | None] = mapped_column(sa.String(32))
    target_id: Mapped[str | None] = mapped_column(sa.String(64))
    detail: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON(none_as_null=True))


class StaffNote(Base):
    """An internal note on a seller's conversation; sellers never see it."""

    __tablename__ = "staff_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int] = mapped_column(
        sa.ForeignKey("sellers.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("staff_accounts.id", ondelete="SET NULL")
    )
    text: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class NluAnnotation(Base):
    """Staff's correction of a misunderstood seller message: the right intent and the example
    to learn from (the message's text, or a cleaner rewrite). `exported_at` is set once
    `akar nlu export-annotations` wrote it under nlu/."""

    __tablename__ = "nlu_annotations"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("messages.id", ondelete="SET NULL"), index=True
    )
    intent: Mapped[str] = mapped_column(sa.String(64))
    example: Mapped[str] = mapped_column(sa.Text)
    account_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("staff_accounts.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    exported_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class InboundUpdate(Base):
    """The webhook inbox (bot/webhook/): a Telegram update between its arrival and the end of
    its handling.

    The webhook answers Telegram only after the row is committed, so an accepted update survives
    any worker crash. Workers claim rows in `update_id` order, at most one per `ordering_key`
    (the chat) at a time, so one seller's messages are handled in order by however many worker
    processes. A row is deleted when its update has been handled: the table holds only work in
    progress (and its raw, unmasked payload never outlives the handling).
    """

    __tablename__ = "inbound_updates"
    __table_args__ = (
        sa.Index("ix_inbound_updates_ordering_key_update_id", "ordering_key", "update_id"),
        sa.Index("ix_inbound_updates_status_update_id", "status", "update_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    update_id: Mapped[int] = mapped_column(sa.BigInteger, unique=True)
    ordering_key: Mapped[int] = mapped_column(sa.BigInteger)
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON())
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)  # claims
    failures: Mapped[int] = mapped_column(default=0)  # claims that hit a database error
    worker: Mapped[str | None] = mapped_column(sa.String(64))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
