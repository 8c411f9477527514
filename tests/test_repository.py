"""Repository functions on real databases created by the migrations (as in production): every
test runs on SQLite and on PostgreSQL (`database_url`, tests/conftest.py)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session, sessionmaker

from bot.db import repository
from bot.db.migrate import upgrade
from bot.db.models import Direction, Message, Seller
from bot.db.session import make_engine, make_session_factory, session_scope

BIG_ID = 7_000_000_000  # Telegram ids no longer fit in 32 bits
T0 = datetime(2025, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def session(factory: sessionmaker[Session]) -> Iterator[Session]:
    with factory() as session:
        yield session


def add_seller(
    session: Session, telegram_user_id: int = BIG_ID, *, now: datetime | None = None
) -> Seller:
    return repository.upsert_seller(
        session,
        telegram_user_id=telegram_user_id,
        chat_id=telegram_user_id,
        first_name="Siti",
        now=now,
    )


def test_upsert_creates_then_updates(factory: sessionmaker[Session]) -> None:
    with session_scope(factory) as session:
        created = repository.upsert_seller(
            session,
            telegram_user_id=BIG_ID,
            chat_id=BIG_ID + 1,
            first_name="Siti",
            last_name="Rahayu",
            username="siti_batik",
            language_code="id",
            now=T0,
        )
        seller_id = created.id

    later = T0 + timedelta(hours=2)
    with session_scope(factory) as session:
        updated = repository.upsert_seller(
            session,
            telegram_user_id=BIG_ID,
            chat_id=BIG_ID + 2,
            first_name="Siti R.",
            language_code="en",
            now=later,
        )
        assert updated.id == seller_id

    with factory() as session:
        sellers = session.scalars(sa.select(Seller)).all()
        assert len(sellers) == 1
        seller = sellers[0]
        assert seller.telegram_user_id == BIG_ID
        assert seller.chat_id == BIG_ID + 2
        assert seller.first_name == "Siti R."
        assert seller.last_name is None  # Telegram no longer sends it: cleared
        assert seller.username is None
        assert seller.language_code == "en"
        assert seller.created_at == T0
        assert seller.last_seen_at == later
        assert seller.is_active is True
        assert seller.blocked_at is None


def test_datetimes_come_back_aware_utc(factory: sessionmaker[Session]) -> None:
    wib = timezone(timedelta(hours=7))  # Jakarta
    with session_scope(factory) as session:
        add_seller(session, now=datetime(2025, 1, 2, 10, 0, tzinfo=wib))
    with factory() as session:
        seller = repository.get_seller_by_telegram_id(session, BIG_ID)
        assert seller is not None
        assert seller.last_seen_at == datetime(2025, 1, 2, 3, 0, tzinfo=UTC)
        assert seller.last_seen_at.tzinfo is UTC


def test_naive_datetime_is_rejected(session: Session) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        add_seller(session, now=datetime(2025, 1, 2, 3, 4))


def test_blocked_then_back(factory: sessionmaker[Session]) -> None:
    with session_scope(factory) as session:
        add_seller(session, now=T0)

    blocked_time = T0 + timedelta(minutes=5)
    with session_scope(factory) as session:
        seller = repository.mark_seller_blocked(session, BIG_ID, now=blocked_time)
        assert seller is not None
    with session_scope(factory) as session:  # another reply bounces: keep the first time
        repository.mark_seller_blocked(session, BIG_ID, now=blocked_time + timedelta(minutes=1))

    with factory() as session:
        seller = repository.get_seller_by_telegram_id(session, BIG_ID)
        assert seller is not None
        assert seller.is_active is False
        assert seller.blocked_at == blocked_time

    with session_scope(factory) as session:
        add_seller(session, now=T0 + timedelta(days=1))

    with factory() as session:
        seller = repository.get_seller_by_telegram_id(session, BIG_ID)
        assert seller is not None
        assert seller.is_active is True
        assert seller.blocked_at is None
        assert seller.last_seen_at == T0 + timedelta(days=1)


def test_mark_unknown_seller_blocked_is_a_no_op(session: Session) -> None:
    assert repository.mark_seller_blocked(session, 12345) is None
    assert repository.get_seller_by_telegram_id(session, 12345) is None


def test_incoming_nlu_and_outgoing_are_linked(factory: sessionmaker[Session]) -> None:
    entities = [
        {"entity": "produk", "value": "kain batik tulis", "start": 12, "end": 28},
        {"entity": "catatan", "value": "mantap 👍🏽 ongkir gratis 🇮🇩", "confidence": 0.87},
    ]
    ranking = [
        {"name": "tanya_cod", "confidence": 0.93},
        {"name": "tanya_ongkir", "confidence": 0.05},
    ]
    with session_scope(factory) as session:
        seller = add_seller(session)
        incoming = repository.record_incoming(
            session,
            seller,
            kind="text",
            text="kak cod itu apa sih? 😅",
            telegram_message_id=BIG_ID + 10,
        )
        repository.set_nlu_result(
            session,
            incoming,
            intent="tanya_cod",
            confidence=0.93,
            entities=entities,
            intent_ranking=ranking,
        )
        repository.mark_incoming_status(session, incoming, "answered")
        outgoing = repository.record_outgoing(
            session,
            seller,
            text="COD = bayar di tempat, Kak 🙏",
            in_reply_to=incoming,
            telegram_message_id=BIG_ID + 11,
            delivery_status="sent",
        )
        incoming_id, outgoing_id = incoming.id, outgoing.id

    with factory() as session:
        incoming = session.get_one(Message, incoming_id)
        outgoing = session.get_one(Message, outgoing_id)
        assert incoming.direction is Direction.IN
        assert incoming.chat_id == BIG_ID
        assert incoming.telegram_message_id == BIG_ID + 10
        assert incoming.text == "kak cod itu apa sih? 😅"
        assert incoming.intent == "tanya_cod"
        assert incoming.confidence == pytest.approx(0.93)
        assert incoming.entities == entities
        assert incoming.intent_ranking == ranking
        assert incoming.delivery_status == "answered"
        assert incoming.error is None
        assert incoming.in_reply_to_id is None

        assert outgoing.direction is Direction.OUT
        assert outgoing.kind == "text"
        assert outgoing.in_reply_to is not None
        assert outgoing.in_reply_to.id == incoming_id
        assert outgoing.seller.telegram_user_id == BIG_ID
        assert outgoing.delivery_status == "sent"
        assert outgoing.intent is None
        assert outgoing.created_at.tzinfo is UTC

        # Stored as values, and "no NLU result" as SQL NULL (not the JSON literal null).
        raw = session.execute(
            sa.text("SELECT direction, entities IS NULL FROM messages ORDER BY id")
        ).all()
        assert [tuple(row) for row in raw] == [("in", 0), ("out", 1)]


def test_incoming_failure_keeps_the_error(session: Session) -> None:
    seller = add_seller(session)
    incoming = repository.record_incoming(
        session, seller, kind="text", text="halo", telegram_message_id=1
    )
    repository.mark_incoming_status(
        session, incoming, "rasa_unavailable", error="ConnectError: refused"
    )
    outgoing = repository.record_outgoing(
        session,
        seller,
        text="Maaf, sebentar ya Kak",
        in_reply_to=incoming,
        telegram_message_id=None,
        delivery_status="blocked",
        error="Forbidden: bot was blocked by the user",
    )
    session.flush()
    session.expire_all()
    assert incoming.delivery_status == "rasa_unavailable"
    assert incoming.error == "ConnectError: refused"
    assert outgoing.telegram_message_id is None
    assert outgoing.error == "Forbidden: bot was blocked by the user"


def test_direction_is_checked(session: Session) -> None:
    seller = add_seller(session)
    outgoing = repository.record_outgoing(
        session,
        seller,
        text="hai",
        in_reply_to=None,
        telegram_message_id=None,
        delivery_status="sent",
    )
    with pytest.raises(ValueError, match="expected in"):
        repository.mark_incoming_status(session, outgoing, "answered")
    with pytest.raises(ValueError, match="expected in"):
        repository.record_outgoing(
            session,
            seller,
            text="hai lagi",
            in_reply_to=outgoing,
            telegram_message_id=None,
            delivery_status="sent",
        )


def test_direction_check_constraint(engine: Engine, session: Session) -> None:
    seller = add_seller(session)
    session.commit()
    with engine.connect() as connection, pytest.raises(IntegrityError):
        connection.execute(
            sa.text(
                "INSERT INTO messages (seller_id, chat_id, direction, kind, created_at) "
                "VALUES (:seller_id, 1, 'up', 'text', '2025-01-01 00:00:00')"
            ),
            {"seller_id": seller.id},
        )


def test_transcript_is_chronological_and_limited(session: Session) -> None:
    seller = add_seller(session)
    other = add_seller(session, telegram_user_id=BIG_ID + 1)
    repository.record_incoming(
        session, other, kind="text", text="bukan punya Siti", telegram_message_id=1, now=T0
    )
    for i in range(5):
        question = repository.record_incoming(
            session,
            seller,
            kind="text",
            text=f"tanya {i}",
            telegram_message_id=2 * i,
            now=T0 + timedelta(minutes=i),
        )
        # Same timestamp as the question: the id breaks the tie.
        repository.record_outgoing(
            session,
            seller,
            text=f"jawab {i}",
            in_reply_to=question,
            telegram_message_id=2 * i + 1,
            delivery_status="sent",
            now=T0 + timedelta(minutes=i),
        )
    # Stored out of order (a late write with an earlier timestamp) still sorts by time.
    repository.record_incoming(
        session, seller, kind="sticker", text=None, telegram_message_id=99, now=T0 - timedelta(1)
    )

    texts = [m.text for m in repository.transcript(session, seller.id)]
    assert texts == [None] + [t for i in range(5) for t in (f"tanya {i}", f"jawab {i}")]

    last_three = repository.transcript(session, seller.id, limit=3)
    assert [m.text for m in last_three] == ["jawab 3", "tanya 4", "jawab 4"]
    assert repository.transcript(session, 10_000) == []


def test_foreign_keys_are_enforced(session: Session) -> None:
    session.add(
        Message(
            seller_id=424242,
            chat_id=1,
            direction=Direction.IN,
            kind="text",
            created_at=T0,
        )
    )
    with pytest.raises(IntegrityError, match=r"(?i)foreign key"):
        session.flush()


def test_deleting_a_seller_deletes_their_messages(factory: sessionmaker[Session]) -> None:
    with session_scope(factory) as session:
        seller = add_seller(session)
        incoming = repository.record_incoming(
            session, seller, kind="text", text="hapus saya", telegram_message_id=1
        )
        repository.record_outgoing(
            session,
            seller,
            text="baik",
            in_reply_to=incoming,
            telegram_message_id=2,
            delivery_status="sent",
        )
    with session_scope(factory) as session:
        session.execute(sa.delete(Seller).where(Seller.telegram_user_id == BIG_ID))
    with factory() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Message)) == 0


def test_unique_telegram_user_id(session: Session) -> None:
    add_seller(session)
    session.add(Seller(telegram_user_id=BIG_ID, chat_id=1, first_name="Dup", created_at=T0))
    with pytest.raises(IntegrityError):
        session.flush()


def test_session_scope_rolls_back_on_error(factory: sessionmaker[Session]) -> None:
    with pytest.raises(RuntimeError), session_scope(factory) as session:
        add_seller(session)
        raise RuntimeError("handler crashed")
    with factory() as session:
        assert repository.get_seller_by_telegram_id(session, BIG_ID) is None


def test_concurrent_writers_wait_for_each_other(factory: sessionmaker[Session]) -> None:
    """Many threads (as with asyncio.to_thread) writing at once: no "database is locked"."""
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(10):
                with session_scope(factory) as session:
                    seller = add_seller(session, telegram_user_id=BIG_ID + n)
                    repository.record_incoming(
                        session, seller, kind="text", text=f"{n}/{i}", telegram_message_id=i
                    )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with factory() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Message)) == 80


def test_new_seller_writing_from_many_threads_at_once(factory: sessionmaker[Session]) -> None:
    """Two transactions both see "no such seller" and both insert: one row, no IntegrityError."""
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def first_contact(i: int) -> None:
        try:
            with session_scope(factory) as session:
                barrier.wait()
                seller = add_seller(session)
                repository.record_incoming(
                    session, seller, kind="text", text=f"halo {i}", telegram_message_id=i
                )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=first_contact, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with factory() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Seller)) == 1
        assert session.scalar(sa.select(sa.func.count()).select_from(Message)) == 8


def test_relative_sqlite_path_gets_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    upgrade("sqlite:///data/nested/akar.db")
    assert (tmp_path / "data" / "nested" / "akar.db").is_file()
    engine = make_engine("sqlite:///data/nested/akar.db")
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()
