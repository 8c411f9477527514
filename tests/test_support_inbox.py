"""The desk's inbox queries on real migrated databases: SQLite (FTS5) and, when a throwaway
cluster can be started, PostgreSQL (full-text search with its GIN index)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

from bot.db.migrate import downgrade, upgrade
from bot.db.models import Message, NluAnnotation, Seller
from bot.db.session import make_engine, make_session_factory
from bot.support import inbox
from bot.support.inbox import InboxFilter, list_conversations
from bot.support.queue import handoff_queue, waiting_since
from tests.support_db import add_incoming, add_outgoing, add_seller, add_staff

T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)

# Every test runs on SQLite and on PostgreSQL, each on a fresh copy of a database migrated once
# per run (`database_url`, tests/conftest.py: a file copy; CREATE DATABASE ... TEMPLATE).


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A fresh migrated database (tests/conftest.py), on SQLite and on PostgreSQL."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with make_session_factory(engine)() as session:
        yield session


def names(page: inbox.Page[inbox.ConversationSummary]) -> list[str]:
    return [c.first_name for c in page.items]


@pytest.fixture
def three(session: Session) -> dict[str, Seller]:
    """Three conversations: Siti (COD, answered, 👎), Budi (fallback, handoff), Ayu (ongkir,
    unsure); Ayu wrote last, then Budi, then Siti."""
    siti = add_seller(session, 7_000_000_001, "Siti", username="siti_batik")
    budi = add_seller(session, 7_000_000_002, "Budi", last_name="Santoso")
    ayu = add_seller(session, 7_000_000_003, "Ayu", username="ayu.kue")
    q = add_incoming(
        session, siti, "kak cod itu apa", T0, intent="tanya_cod", confidence=0.95, feedback="down"
    )
    add_outgoing(session, siti, "COD artinya bayar di tempat", T0, reply_to=q)
    add_incoming(session, budi, "asdf qwerty", T0 + HOUR, intent="nlu_fallback", confidence=0.6)
    add_incoming(
        session,
        budi,
        "mau ngomong sama orang",
        T0 + 2 * HOUR,
        intent="minta_bantuan_manusia",
        confidence=0.99,
        status="handoff_requested",
    )
    budi.handoff_state, budi.handoff_at = "requested", T0 + 2 * HOUR
    add_incoming(
        session,
        ayu,
        "Ongkir ke Medan dari Bandung berapa",
        T0 + 3 * HOUR,
        intent="tanya_ongkir",
        confidence=0.65,
        entities=[{"entity": "kota", "value": "Medan", "role": "tujuan"}],
    )
    session.commit()
    return {"siti": siti, "budi": budi, "ayu": ayu}


def test_conversations_newest_first_with_counts_and_pages(
    session: Session, three: dict[str, Seller]
) -> None:
    page = list_conversations(session)
    assert names(page) == ["Ayu", "Budi", "Siti"] and page.total == 3 and page.pages == 1
    siti = page.items[-1]
    assert siti.message_count == 2 and siti.matching_count == 2
    assert siti.last_message_direction == "out"
    assert siti.last_message_text == "COD artinya bayar di tempat"
    assert siti.last_message_at == T0 and siti.reviewed is False

    first = list_conversations(session, page=1, per_page=2)
    second = list_conversations(session, page=2, per_page=2)
    assert names(first) == ["Ayu", "Budi"] and first.has_next and not first.has_previous
    assert names(second) == ["Siti"] and second.total == 3 and second.pages == 2
    assert list_conversations(session, page=9, per_page=2).items == []


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (InboxFilter(since=T0 + HOUR), ["Ayu", "Budi"]),
        (InboxFilter(since=T0 + HOUR, until=T0 + 2 * HOUR), ["Budi"]),
        (InboxFilter(until=T0 + HOUR), ["Siti"]),
        (InboxFilter(seller="siti"), ["Siti"]),
        (InboxFilter(seller="@AYU.KUE"), ["Ayu"]),
        (InboxFilter(seller="santoso"), ["Budi"]),
        (InboxFilter(seller="7000000003"), ["Ayu"]),
        (InboxFilter(seller="%"), []),  # LIKE wildcards are plain characters
        (InboxFilter(seller="_"), ["Siti"]),  # only siti_batik has a real "_"
        (InboxFilter(intent="tanya_cod"), ["Siti"]),
        (InboxFilter(low_confidence_below=0.7), ["Ayu", "Budi"]),
        (InboxFilter(low_confidence_below=0.62), ["Budi"]),
        (InboxFilter(fallback=True), ["Budi"]),
        (InboxFilter(negative_feedback=True), ["Siti"]),
        (InboxFilter(handoff=True), ["Budi"]),
        # Message filters hold on one message: Budi's fallback is not after T0 + 1.5 h.
        (InboxFilter(fallback=True, since=T0 + 90 * timedelta(minutes=1)), []),
        (InboxFilter(intent="tanya_ongkir", low_confidence_below=0.7, seller="ayu"), ["Ayu"]),
    ],
)
def test_filters(
    session: Session, three: dict[str, Seller], filters: InboxFilter, expected: list[str]
) -> None:
    page = list_conversations(session, filters)
    assert names(page) == expected and page.total == len(expected)


def test_matching_count_counts_only_matching_messages(
    session: Session, three: dict[str, Seller]
) -> None:
    [budi] = list_conversations(session, InboxFilter(since=T0 + 2 * HOUR, seller="budi")).items
    assert budi.message_count == 2 and budi.matching_count == 1


def test_seller_by_database_id(session: Session, three: dict[str, Seller]) -> None:
    assert names(list_conversations(session, InboxFilter(seller=str(three["budi"].id)))) == ["Budi"]


def test_fallback_status_counts_as_fallback(session: Session, three: dict[str, Seller]) -> None:
    other = add_seller(session, 7_000_000_009, "Wati")
    add_incoming(session, other, "hmm", T0, intent="sapa", confidence=0.9, status="fallback")
    session.commit()
    assert names(list_conversations(session, InboxFilter(fallback=True))) == ["Budi", "Wati"]


def test_reviewed_and_not_reviewed(session: Session, three: dict[str, Seller]) -> None:
    inbox.mark_reviewed(session, three["siti"].id)
    session.commit()
    assert names(list_conversations(session, InboxFilter(reviewed=True))) == ["Siti"]
    assert names(list_conversations(session, InboxFilter(reviewed=False))) == ["Ayu", "Budi"]

    # A new message from Siti puts her back in the "not reviewed" list.
    add_incoming(session, three["siti"], "makasih kak", T0 + 5 * HOUR, intent="terima_kasih")
    session.commit()
    assert names(list_conversations(session, InboxFilter(reviewed=False))) == [
        "Siti",
        "Ayu",
        "Budi",
    ]
    inbox.mark_unreviewed(session, three["budi"].id)
    assert list_conversations(session, InboxFilter(reviewed=True)).items == []


def test_mark_reviewed_up_to_what_was_seen_and_never_back(
    session: Session, three: dict[str, Seller]
) -> None:
    siti = three["siti"]
    seen = session.scalar(sa.select(sa.func.max(Message.id)).where(Message.seller_id == siti.id))
    later = add_incoming(session, siti, "satu lagi", T0 + 4 * HOUR, intent="tanya_cod")
    assert inbox.mark_reviewed(session, siti.id, up_to_message_id=seen) == seen
    view = inbox.conversation(session, siti.id)
    assert view is not None and view.reviewed is False
    assert [m.reviewed for m in view.messages] == [True, True, False]
    assert inbox.mark_reviewed(session, siti.id) == later.id
    assert inbox.mark_reviewed(session, siti.id, up_to_message_id=seen) == later.id
    with pytest.raises(LookupError):
        inbox.mark_reviewed(session, 999_999)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("cod", ["Siti"]),
        ("COD apa", ["Siti"]),  # every word, any case
        ("medan BANDUNG", ["Ayu"]),
        ("bayar", ["Siti"]),  # the bot's answers are searched too
        ("cod medan", []),  # words of different messages do not combine
        ("orang", ["Budi"]),
        ("   ", ["Ayu", "Budi", "Siti"]),  # an empty search is no filter
    ],
)
def test_full_text_search(
    session: Session, three: dict[str, Seller], query: str, expected: list[str]
) -> None:
    page = list_conversations(session, InboxFilter(text=query))
    assert names(page) == expected and page.total == len(expected)


PAYLOADS = [
    "'; DROP TABLE messages; --",
    '"unbalanced',
    "NEAR(",
    "*",
    "cod OR 1=1",
    "text:cod",
    "^cod",
    "a AND NOT b",
    "' OR ''='",
    "\\",
    "%_",
    "cod) OR (1",
    "(",
    "-cod",
    "😀",
    "x" * 500,
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_search_input_is_only_ever_text(
    session: Session, three: dict[str, Seller], payload: str
) -> None:
    list_conversations(session, InboxFilter(text=payload))  # no syntax error, whatever it is
    list_conversations(session, InboxFilter(seller=payload))
    assert session.scalar(sa.select(sa.func.count()).select_from(Message)) == 5


def test_search_finds_hostile_text_as_text(session: Session, three: dict[str, Seller]) -> None:
    wati = add_seller(session, 7_000_000_010, "Wati")
    add_incoming(session, wati, "'; DROP TABLE messages; -- NEAR( \"kutip", T0, intent="sapa")
    session.commit()
    assert names(list_conversations(session, InboxFilter(text="drop table"))) == ["Wati"]
    assert names(list_conversations(session, InboxFilter(text='"kutip'))) == ["Wati"]
    assert names(list_conversations(session, InboxFilter(text="NEAR("))) == ["Wati"]
    assert names(list_conversations(session, InboxFilter(text="cod OR 1=1"))) == []


def test_search_index_follows_edits_and_deletes(session: Session, three: dict[str, Seller]) -> None:
    message = session.scalars(sa.select(Message).where(Message.text == "asdf qwerty")).one()
    message.text = "ganti kata lain"
    session.commit()
    assert names(list_conversations(session, InboxFilter(text="qwerty"))) == []
    assert names(list_conversations(session, InboxFilter(text="ganti"))) == ["Budi"]
    session.delete(session.get_one(Seller, three["siti"].id))  # cascades to her messages
    session.commit()
    assert list_conversations(session, InboxFilter(text="cod")).items == []
    if session.get_bind().dialect.name == "sqlite":  # the FTS index itself forgot them
        stale = session.execute(
            sa.text("SELECT rowid FROM messages_fts WHERE messages_fts MATCH 'cod OR qwerty'")
        ).all()
        assert stale == []


def test_search_uses_the_gin_index_on_postgresql(
    session: Session, three: dict[str, Seller]
) -> None:
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    session.execute(sa.text("SET enable_seqscan = off"))
    condition = inbox.search.for_dialect("postgresql").condition("cod")
    plan = "\n".join(
        session.execute(
            sa.text(
                "EXPLAIN "
                + str(
                    sa.select(Message.id)
                    .where(condition)
                    .compile(session.get_bind(), compile_kwargs={"literal_binds": True})
                )
            )
        ).scalars()
    )
    assert "ix_messages_text_fts" in plan


def test_conversation_view(session: Session, three: dict[str, Seller]) -> None:
    siti = three["siti"]
    staff = add_staff(session)
    question = session.scalars(sa.select(Message).where(Message.text == "kak cod itu apa")).one()
    add_outgoing(
        session,
        siti,
        "Halo Kak, saya Rina dari tim AKAR",
        T0 + HOUR,
        reply_to=question,
        account_id=staff.id,
    )
    inbox.add_annotation(session, question.id, "tanya_cod/apa_itu", account_id=staff.id)
    session.commit()

    view = inbox.conversation(session, siti.id)
    assert view is not None and view.seller.first_name == "Siti"
    assert [m.direction for m in view.messages] == ["in", "out", "out"]
    asked, answer, staff_reply = view.messages
    assert asked.intent == "tanya_cod" and asked.confidence == 0.95 and asked.feedback == "down"
    assert asked.answers == ("COD artinya bayar di tempat", "Halo Kak, saya Rina dari tim AKAR")
    assert [a.intent for a in asked.annotations] == ["tanya_cod/apa_itu"]
    assert asked.annotations[0].author == "rina"
    assert answer.sent_by is None and answer.in_reply_to_id == asked.id
    assert staff_reply.sent_by == "rina" and staff_reply.sent_by_account_id == staff.id
    assert view.has_older is False and view.reviewed is False

    ayu = inbox.conversation(session, three["ayu"].id)
    assert ayu is not None and ayu.messages[0].entities[0]["value"] == "Medan"
    assert inbox.conversation(session, 999_999) is None


def test_conversation_view_shows_the_latest_messages(session: Session) -> None:
    seller = add_seller(session, 7_000_000_020, "Rudi")
    for n in range(5):
        add_incoming(session, seller, f"pesan {n}", T0 + n * HOUR)
    session.commit()
    view = inbox.conversation(session, seller.id, limit=3)
    assert view is not None and view.has_older
    assert [m.text for m in view.messages] == ["pesan 2", "pesan 3", "pesan 4"]


def test_notes(session: Session, three: dict[str, Seller]) -> None:
    staff = add_staff(session)
    budi = three["budi"].id
    first = inbox.add_note(session, budi, staff.id, "  Sudah ditelepon, tunggu kabar  ")
    inbox.add_note(session, budi, None, "Catatan kedua")
    session.commit()
    assert first.text == "Sudah ditelepon, tunggu kabar" and first.author == "rina"
    assert [(n.text, n.author) for n in inbox.list_notes(session, budi)] == [
        ("Sudah ditelepon, tunggu kabar", "rina"),
        ("Catatan kedua", None),
    ]
    view = inbox.conversation(session, budi)
    assert view is not None and len(view.notes) == 2
    assert inbox.list_notes(session, three["siti"].id) == []
    with pytest.raises(ValueError):
        inbox.add_note(session, budi, staff.id, "   ")
    with pytest.raises(ValueError):
        inbox.add_note(session, budi, staff.id, "x" * 4001)
    with pytest.raises(LookupError):
        inbox.add_note(session, 999_999, staff.id, "halo")


def test_annotations(session: Session, three: dict[str, Seller]) -> None:
    staff = add_staff(session)
    fallback = session.scalars(sa.select(Message).where(Message.text == "asdf qwerty")).one()
    question = session.scalars(sa.select(Message).where(Message.intent == "tanya_cod")).one()
    answer = session.scalars(sa.select(Message).where(Message.in_reply_to_id.is_not(None))).one()

    own = inbox.add_annotation(session, question.id, "tanya_cod/apa_itu", account_id=staff.id)
    better = inbox.add_annotation(
        session, fallback.id, "tanya_ongkir/cek_tarif", "  cek   ongkir ke medan  "
    )
    assert own.example == "kak cod itu apa" and own.author == "rina"
    assert better.example == "cek ongkir ke medan" and better.author is None
    for wrong in ("tanya_cod", "nlu_fallback", "mulai", "tidak_ada", "'; DROP TABLE x; --"):
        with pytest.raises(inbox.UnknownIntent):
            inbox.add_annotation(session, question.id, wrong)
    with pytest.raises(LookupError):
        inbox.add_annotation(session, answer.id, "sapa")  # only seller messages
    with pytest.raises(LookupError):
        inbox.add_annotation(session, 999_999, "sapa")
    with pytest.raises(ValueError):
        inbox.add_annotation(session, question.id, "sapa", "   ")
    session.commit()

    assert [a.intent for a in inbox.list_pending_annotations(session)] == [
        "tanya_cod/apa_itu",
        "tanya_ongkir/cek_tarif",
    ]
    assert inbox.count_pending_annotations(session) == 2
    choices = inbox.annotation_intents()
    assert "tanya_cod/apa_itu" in choices and "sapa" in choices and "tanya_cod" not in choices


def test_postgresql_migration_adds_and_removes_the_search_index(postgres_server: str) -> None:
    admin = sa.create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    url = make_url(postgres_server).set(database="roundtrip").render_as_string(False)
    probe = make_engine(url)

    def indexes() -> set[str]:
        with probe.connect() as connection:
            return set(
                connection.execute(
                    sa.text("SELECT indexname FROM pg_indexes WHERE tablename = 'messages'")
                ).scalars()
            )

    try:
        with admin.connect() as connection:
            connection.execute(sa.text("CREATE DATABASE roundtrip"))
        upgrade(url)
        assert "ix_messages_text_fts" in indexes()
        downgrade(url, "0008")
        assert "ix_messages_text_fts" not in indexes()
        upgrade(url)
        assert "ix_messages_text_fts" in indexes()
    finally:
        probe.dispose()
        with admin.connect() as connection:
            connection.execute(sa.text("DROP DATABASE IF EXISTS roundtrip WITH (FORCE)"))
        admin.dispose()


def test_annotating_again_replaces_the_pending_annotation(
    session: Session, three: dict[str, Seller]
) -> None:
    rina = add_staff(session)
    dina = add_staff(session, "dina", 43)
    question = session.scalars(sa.select(Message).where(Message.intent == "tanya_cod")).one()
    first = inbox.add_annotation(session, question.id, "sapa", account_id=rina.id)
    assert first.replaced == ()
    second = inbox.add_annotation(session, question.id, "tanya_cod/apa_itu", account_id=rina.id)
    assert second.replaced == (first.id,) and second.id != first.id
    assert [(a.id, a.intent) for a in inbox.list_pending_annotations(session)] == [
        (second.id, "tanya_cod/apa_itu")
    ]
    # Someone else's pending annotation: only its author or an admin may replace it.
    with pytest.raises(inbox.NotAllowed) as refused:
        inbox.add_annotation(session, question.id, "sapa", account_id=dina.id)
    assert refused.value.authors == ["rina"]
    by_admin = inbox.add_annotation(session, question.id, "sapa", account_id=dina.id, admin=True)
    assert by_admin.replaced == (second.id,) and by_admin.author == "dina"
    # Once exported, a new annotation is a new pending one (the export decides what to do).
    session.get_one(NluAnnotation, by_admin.id).exported_at = T0
    after = inbox.add_annotation(session, question.id, "tanya_cod/apa_itu", account_id=rina.id)
    assert after.replaced == ()
    assert inbox.count_pending_annotations(session) == 1


def test_deleting_a_pending_annotation(session: Session, three: dict[str, Seller]) -> None:
    rina = add_staff(session)
    dina = add_staff(session, "dina", 43)
    question = session.scalars(sa.select(Message).where(Message.intent == "tanya_cod")).one()
    fallback = session.scalars(sa.select(Message).where(Message.text == "asdf qwerty")).one()
    own = inbox.add_annotation(session, question.id, "tanya_cod/apa_itu", account_id=rina.id)
    other = inbox.add_annotation(session, fallback.id, "sapa", "halo kak", account_id=rina.id)
    assert own.may_change(rina.id, admin=False) and not own.may_change(dina.id, admin=False)
    assert own.may_change(dina.id, admin=True)

    with pytest.raises(inbox.NotAllowed):
        inbox.delete_annotation(session, own.id, account_id=dina.id)
    deleted = inbox.delete_annotation(session, own.id, account_id=rina.id)
    assert (deleted.id, deleted.intent, deleted.message_id) == (
        own.id,
        "tanya_cod/apa_itu",
        question.id,
    )
    with pytest.raises(LookupError):
        inbox.delete_annotation(session, own.id, account_id=rina.id)
    session.get_one(NluAnnotation, other.id).exported_at = T0
    with pytest.raises(inbox.AlreadyExported):
        inbox.delete_annotation(session, other.id, account_id=rina.id, admin=True)
    assert inbox.count_pending_annotations(session) == 0
    assert session.get(NluAnnotation, other.id) is not None


def test_queue_waits_from_the_oldest_unanswered_message(session: Session) -> None:
    """ "Menunggu" counts from the seller's oldest message no staff reply has answered."""
    staff = add_staff(session)
    # Asked for a person; nobody answered: waiting since the request.
    asked = add_seller(session, 7_100_000_001, "Asked")
    add_incoming(session, asked, "mau ngomong sama orang", T0, status="handoff_requested")
    add_incoming(session, asked, "halo?", T0 + HOUR, status="handoff_ack")
    asked.handoff_state, asked.handoff_at = "requested", T0
    # Asked, staff answered, the seller has not written since: nothing waits.
    answered = add_seller(session, 7_100_000_002, "Answered")
    add_incoming(session, answered, "tolong dong", T0 - HOUR, status="handoff_requested")
    answered.handoff_state, answered.handoff_at = "requested", T0 - HOUR
    add_outgoing(session, answered, "Halo Kak, saya Rina", T0, account_id=staff.id)
    # Taken over; the seller answered twice, one /modul (answered by the bot) between:
    # waiting since the first held answer.
    taken = add_seller(session, 7_100_000_003, "Taken")
    add_incoming(session, taken, "dulu sekali", T0 - 10 * HOUR, status="handoff")  # earlier one
    add_outgoing(session, taken, "Halo Kak, dari tim AKAR", T0 - 2 * HOUR, account_id=staff.id)
    taken.handoff_state, taken.handoff_at = "staff", T0 - 2 * HOUR
    add_incoming(session, taken, "iya kak", T0 - 90 * timedelta(minutes=1), status="handoff_ack")
    add_incoming(session, taken, "/modul", T0 - HOUR, status="learning")
    add_incoming(session, taken, "gimana kak?", T0 - 30 * timedelta(minutes=1), status="handoff")
    # Taken over, the seller has not answered: nothing waits (not since the takeover).
    quiet = add_seller(session, 7_100_000_004, "Quiet")
    add_outgoing(session, quiet, "Halo Kak", T0 - 3 * HOUR, account_id=staff.id)
    quiet.handoff_state, quiet.handoff_at = "staff", T0 - 3 * HOUR
    # A staff reply Telegram refused answers nothing.
    refused = add_seller(session, 7_100_000_005, "Refused")
    add_incoming(session, refused, "halo tim", T0 + HOUR, status="handoff_requested")
    refused.handoff_state, refused.handoff_at = "requested", T0 + HOUR
    failed = add_outgoing(session, refused, "Halo", T0 + 2 * HOUR, account_id=staff.id)
    failed.delivery_status = "failed"
    session.commit()

    queue = handoff_queue(session)
    assert [(w.first_name, w.waiting_since) for w in queue] == [
        ("Taken", T0 - 90 * timedelta(minutes=1)),
        ("Asked", T0),
        ("Refused", T0 + HOUR),
        ("Quiet", None),  # then those with nothing waiting, oldest handoff first
        ("Answered", None),
    ]
    assert queue[0].started == T0 - 2 * HOUR and queue[0].state == "staff"
    assert queue[0].waiting_seconds(T0) == 90 * 60
    assert queue[3].waiting_seconds(T0) is None
    assert waiting_since(session, taken.id, "staff", T0 - 2 * HOUR) == T0 - 90 * timedelta(
        minutes=1
    )
    assert waiting_since(session, answered.id, "requested", T0 - HOUR) is None
    assert waiting_since(session, asked.id, None, None) is None
