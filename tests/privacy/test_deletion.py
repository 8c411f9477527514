"""/hapusdata's deletion on real databases (SQLite and PostgreSQL): everything about the seller
goes, nothing about anyone else does, and the audit entry holds counts only."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.db.models import (
    AuditEntry,
    Base,
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
)
from bot.learning.certificate import find as find_certificate
from bot.privacy.deletion import DeletionReport, delete_seller_data, identity_terms, names_anyone
from bot.privacy.masking import PHONE
from tests.privacy.people import seller_with_everything

T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
SITI, BUDI = 7_100_000_001, 7_100_000_002
# Every table with a foreign key to sellers, which delete_seller_data deletes from by name.
PER_SELLER = {
    "messages",
    "seller_profiles",
    "lesson_progress",
    "quiz_answers",
    "certificates",
    "broadcast_deliveries",
    "staff_notes",
}
PER_SELLER_MODELS = (
    Message,
    SellerProfile,
    LessonProgress,
    QuizAnswer,
    Certificate,
    BroadcastDelivery,
    StaffNote,
)


def rows_of(session: Session, seller_id: int) -> dict[str, int]:
    return {
        model.__tablename__: session.scalar(
            sa.select(sa.func.count()).select_from(model).where(model.seller_id == seller_id)
        )
        or 0
        for model in PER_SELLER_MODELS
    }


def test_every_table_about_a_seller_is_handled() -> None:
    """A new table pointing at sellers must be added to deletion.py (and here)."""
    pointing = {
        table.name
        for table in Base.metadata.tables.values()
        for fk in table.foreign_keys
        if fk.column.table.name == "sellers"
    }
    assert pointing == PER_SELLER


def test_deletion_removes_everything_about_the_seller(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        siti = seller_with_everything(session, SITI, "Siti", T0)
        budi = seller_with_everything(session, BUDI, "Budi", T0)
        before_budi = rows_of(session, budi.seller_id)

    with sessions.begin() as session:
        report = delete_seller_data(session, SITI, now=T0)

    assert report == DeletionReport(
        messages=3,
        profile=1,
        lesson_progress=1,
        quiz_answers=1,
        certificates=1,
        broadcast_deliveries=1,
        staff_notes=1,
        drafts=1,
        annotations_kept=2,
        annotations_removed=1,
    )
    with sessions() as session:
        assert session.get(Seller, siti.seller_id) is None
        assert session.scalar(sa.select(Seller).where(Seller.telegram_user_id == SITI)) is None
        assert rows_of(session, siti.seller_id) == dict.fromkeys(PER_SELLER, 0)
        assert session.scalar(sa.select(Message).where(Message.chat_id == SITI)) is None
        assert find_certificate(session, "AKAR-0001-TEST") is None  # the code no longer verifies
        assert (
            session.scalars(
                sa.select(BroadcastDraft).where(BroadcastDraft.telegram_user_id == SITI)
            ).all()
            == []
        )
        # The trainer's broadcast and series stay, no longer linked to her Telegram id.
        broadcast = session.get_one(Broadcast, siti.broadcast_id)
        assert (broadcast.created_by, broadcast.report_chat_id) == (None, None)
        assert session.scalars(sa.select(DripSeries.created_by)).all().count(SITI) == 0
        # Budi is untouched.
        assert rows_of(session, budi.seller_id) == before_budi
        assert session.get_one(Broadcast, budi.broadcast_id).created_by == BUDI


def test_annotations_keep_masked_examples_that_name_nobody(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        siti = seller_with_everything(session, SITI, "Siti", T0)
    with sessions.begin() as session:
        delete_seller_data(session, SITI, now=T0)
    with sessions() as session:
        kept = {a.id: a for a in session.scalars(sa.select(NluAnnotation))}
    ids = siti.annotation_ids
    assert set(kept) == {ids["clean"], ids["phone"]}
    assert kept[ids["clean"]].example == "cod itu apa"
    assert kept[ids["phone"]].example == f"cod apa, wa {PHONE}"
    assert all(a.message_id is None for a in kept.values())


def test_the_audit_entry_holds_counts_not_identities(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        seller_with_everything(session, SITI, "Siti", T0)
    with sessions.begin() as session:
        delete_seller_data(session, SITI, now=T0)
    with sessions() as session:
        [entry] = session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "privacy_deletion")
        ).all()
    assert (entry.account_id, entry.target_type, entry.target_id) == (None, "seller", None)
    assert entry.detail is not None and entry.detail["messages"] == 3
    assert all(isinstance(value, int) for value in entry.detail.values())
    dumped = json.dumps(entry.detail).lower()
    for identity in (str(SITI), "siti", "batik", "garut"):
        assert identity not in dumped


def test_deleting_again_is_a_no_op(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        seller_with_everything(session, SITI, "Siti", T0)
    with sessions.begin() as session:
        assert delete_seller_data(session, SITI, now=T0) is not None
    with sessions.begin() as session:
        assert delete_seller_data(session, SITI, now=T0) is None
    with sessions() as session:
        count = session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "privacy_deletion")
        )
    assert count == 1


def test_deleted_words_leave_the_search_index(engine: Engine) -> None:
    """SQLite's FTS5 index must forget the text too (PostgreSQL indexes an expression)."""
    sessions = sessionmaker(bind=engine)
    with sessions.begin() as session:
        seller_with_everything(session, SITI, "Siti", T0)
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as connection:
        match = "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'laris'"
        assert connection.execute(sa.text(match)).scalar_one() == 1
    with sessions.begin() as session:
        delete_seller_data(session, SITI, now=T0)
    with engine.connect() as connection:
        assert connection.execute(sa.text(match)).scalar_one() == 0


def test_identity_terms_and_matching(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        siti = seller_with_everything(session, SITI, "Siti", T0)
        terms = identity_terms(session, session.get_one(Seller, siti.seller_id))
    assert {"siti", "siti_batik", "batik", "bu siti", "batik laris", "laris"} <= terms
    assert "bu" not in terms  # too short to mean anything
    assert names_anyone("halo saya SITI", terms)
    assert names_anyone("toko batik laris", terms)
    assert not names_anyone("sitinya", terms)  # whole words only
    assert not names_anyone("cod itu apa", terms)
