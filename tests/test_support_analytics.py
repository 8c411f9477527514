"""The desk's analytics queries (bot/support/analytics.py) on real migrated databases: SQLite
and, when a throwaway cluster can be started, PostgreSQL. Days are WIB days, so the data sits
on both sides of WIB midnight (17.00 UTC)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Final

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.db.models import (
    Broadcast,
    BroadcastDelivery,
    ContentLesson,
    ContentModule,
    LessonProgress,
    Message,
    Seller,
)
from bot.db.session import make_engine, make_session_factory
from bot.learning import certificate
from bot.support import analytics
from bot.support.analytics import DateRange, InvalidRange
from tests.support_db import add_incoming, add_outgoing, add_seller, add_staff

NOV1, NOV2, NOV3 = date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)
RANGE: Final = DateRange(NOV1, NOV3)


def wib(day: date, hour: int, minute: int = 0) -> datetime:
    """A moment given in WIB, as the aware UTC datetime the database keeps."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=analytics.WIB).astimezone(
        UTC
    )


# --- databases (tests/conftest.py: a migrated template copied per test) ------------------------


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


@pytest.fixture
def sellers(session: Session) -> dict[str, Seller]:
    names = ["Siti", "Budi", "Ayu", "Dewi", "Rudi"]
    return {n: add_seller(session, 8_100_000_000 + k, n) for k, n in enumerate(names)}


def incoming(
    session: Session,
    seller: Seller,
    text: str | None,
    at: datetime,
    *,
    intent: str | None = None,
    kind: str = "text",
    status: str = "answered",
) -> Message:
    message = add_incoming(
        session, seller, text, at, intent=intent, confidence=0.9 if intent else None, status=status
    )
    message.kind = kind
    return message


# --- dates ---------------------------------------------------------------------------------------


def test_date_range_is_whole_wib_days() -> None:
    assert RANGE.since == datetime(2026, 10, 31, 17, 0, tzinfo=UTC)
    assert RANGE.until == datetime(2026, 11, 3, 17, 0, tzinfo=UTC)
    assert RANGE.days() == [NOV1, NOV2, NOV3] and RANGE.day_count == 3
    assert DateRange.last_days(30, NOV3) == DateRange(date(2026, 10, 5), NOV3)
    assert analytics.today_wib(datetime(2026, 11, 2, 17, 30, tzinfo=UTC)) == NOV3
    with pytest.raises(InvalidRange, match="Tanggal awal"):
        DateRange(NOV3, NOV1)
    with pytest.raises(InvalidRange, match="366 hari"):
        DateRange(date(2025, 1, 1), date(2026, 1, 2))
    DateRange(date(2025, 1, 1), date(2026, 1, 1))  # 366 days is allowed


# --- per day -------------------------------------------------------------------------------------


@pytest.fixture
def conversations(session: Session, sellers: dict[str, Seller]) -> None:
    """Three WIB days of messages, with rows just outside the range on both ends."""
    siti, budi, ayu, dewi = (sellers[n] for n in ("Siti", "Budi", "Ayu", "Dewi"))
    staff = add_staff(session, "rina", 42)
    # Outside: 23.59 WIB the day before, 00.00 WIB the day after.
    incoming(session, siti, "halo kak", wib(date(2026, 10, 31), 23, 59), intent="sapa")
    incoming(session, siti, "halo lagi", wib(date(2026, 11, 4), 0, 0), intent="sapa")
    # 1 Nov, from 00.00 WIB (still 31 Oct in UTC): questions, a button, a fallback, a handoff.
    question = incoming(session, siti, "kak cod itu apa", wib(NOV1, 0, 0), intent="tanya_cod")
    add_outgoing(session, siti, "COD artinya bayar di tempat", wib(NOV1, 0, 0), reply_to=question)
    incoming(session, siti, "/tanya_ongkir", wib(NOV1, 8), intent="tanya_ongkir", kind="callback")
    incoming(session, budi, "asdfgh", wib(NOV1, 9), intent="nlu_fallback")
    incoming(
        session, budi, "/nlu_fallback", wib(NOV1, 9, 1), intent="nlu_fallback", kind="callback"
    )
    request = incoming(
        session,
        budi,
        "mau ngomong sama orang aja",
        wib(NOV1, 9, 2),
        intent="minta_bantuan_manusia",
        status="handoff_requested",
    )
    incoming(session, budi, "halo? ada orang?", wib(NOV1, 9, 5), status="handoff")
    add_outgoing(session, budi, "Halo Kak Budi, saya Rina", wib(NOV1, 10), account_id=staff.id)
    add_outgoing(session, budi, "Sudah beres ya Kak", wib(NOV1, 23, 59), reply_to=request)
    # 2 Nov: nothing. 3 Nov, until 23.59 WIB: an edit, a command, emoji only, a staff reply.
    incoming(
        session, ayu, "ongkir ke medan brp", wib(NOV3, 7), intent="tanya_ongkir", kind="edited"
    )
    incoming(session, ayu, "/modul", wib(NOV3, 7, 1), kind="command", status="learning")
    incoming(session, dewi, "😀😀", wib(NOV3, 12), status="no_words")
    incoming(session, dewi, "cod bisa di tokped?", wib(NOV3, 23, 59), intent="tanya_cod")
    incoming(session, dewi, "hmm", wib(NOV3, 23, 59), intent="sapa", status="fallback")
    add_outgoing(session, dewi, "Bisa, Kak", wib(NOV3, 23, 59), account_id=staff.id)
    session.commit()


def test_daily_activity_counts_each_wib_day(session: Session, conversations: None) -> None:
    days = analytics.daily_activity(session, RANGE)
    assert [d.day for d in days] == [NOV1, NOV2, NOV3]
    first, second, third = days
    assert (first.incoming, first.questions, first.nlu, first.fallbacks) == (6, 4, 3, 1)
    assert (first.handoff_requests, first.staff_replies) == (1, 1)
    assert first.fallback_rate == pytest.approx(1 / 3)  # the buttons are not questions
    assert second == analytics.DayActivity(NOV2)
    assert second.fallback_rate is None
    assert (third.incoming, third.questions, third.nlu, third.fallbacks) == (5, 4, 3, 1)
    assert (third.handoff_requests, third.staff_replies) == (0, 1)


def test_a_range_of_one_day(session: Session, conversations: None) -> None:
    [day] = analytics.daily_activity(session, DateRange(NOV3, NOV3))
    assert day.day == NOV3 and day.incoming == 5
    [before] = analytics.daily_activity(session, DateRange(date(2026, 10, 31), date(2026, 10, 31)))
    assert before.incoming == 1 and before.questions == 1


def test_top_intents_with_shares(session: Session, conversations: None) -> None:
    top = analytics.top_intents(session, RANGE)
    # Typed questions only: the buttons' tanya_ongkir and nlu_fallback are not counted.
    assert top.total == 6 and top.others == 0
    assert [(i.intent, i.count) for i in top.top] == [
        ("tanya_cod", 2),
        ("minta_bantuan_manusia", 1),
        ("nlu_fallback", 1),
        ("sapa", 1),
        ("tanya_ongkir", 1),
    ]
    assert top.top[0].share == pytest.approx(2 / 6)
    assert sum(i.share for i in top.top) == pytest.approx(1)

    two = analytics.top_intents(session, RANGE, limit=2)
    assert [i.intent for i in two.top] == ["tanya_cod", "minta_bantuan_manusia"]
    assert two.total == 6 and two.others == 3
    assert analytics.top_intents(session, DateRange(NOV2, NOV2)) == analytics.TopIntents(0, [], 0)


# --- module funnel -------------------------------------------------------------------------------


def module(session: Session, key: str, number: int, title: str, lessons: int) -> list[int]:
    row = ContentModule(key=key, number=number, title=title, topic=key, summary="-")
    session.add(row)
    session.flush()
    ids = []
    for position in range(1, lessons + 1):
        lesson = ContentLesson(
            module_id=row.id,
            key=f"{key}-{position}",
            position=position,
            title=f"Pelajaran {position}",
            minutes=5,
            parts=[],
            sources=[],
            fingerprint="-",
        )
        session.add(lesson)
        session.flush()
        ids.append(lesson.id)
    return ids


def progress(
    session: Session, seller: Seller, lesson_id: int, started: datetime, *, done: bool = False
) -> None:
    session.add(
        LessonProgress(
            seller_id=seller.id,
            lesson_id=lesson_id,
            started_at=started,
            updated_at=started,
            completed_at=started + timedelta(minutes=20) if done else None,
        )
    )
    session.flush()


@pytest.fixture
def learning(session: Session, sellers: dict[str, Seller]) -> None:
    siti, budi, ayu, dewi, rudi = sellers.values()
    cod = module(session, "cod", 2, "COD", 3)
    ongkir = module(session, "ongkir", 3, "Ongkir", 1)
    module(session, "harga", 6, "Harga", 2)
    old = module(session, "lama", 99, "Modul lama", 1)
    module(session, "arsip", 98, "Arsip", 1)
    now = wib(NOV3, 20)
    # COD's third lesson was retired: finishing the module means finishing lessons 1 and 2.
    session.get_one(ContentLesson, cod[2]).retired_at = now
    for key in ("lama", "arsip"):
        row = session.scalars(sa.select(ContentModule).where(ContentModule.key == key)).one()
        row.retired_at = now
    session.get_one(ContentLesson, old[0]).retired_at = now

    cod_id = session.get_one(ContentLesson, cod[0]).module_id
    # Siti: both active COD lessons done, certificate.
    progress(session, siti, cod[0], wib(NOV1, 0, 0), done=True)
    progress(session, siti, cod[1], wib(NOV2, 9), done=True)
    certificate.issue(session, siti.id, cod_id)
    # Budi: started COD on the last evening, not finished; Ongkir finished, no certificate.
    progress(session, budi, cod[0], wib(NOV3, 23, 59))
    progress(session, budi, ongkir[0], wib(NOV2, 10), done=True)
    # Dewi: the retired lesson first (in the range), then both active ones: finished.
    progress(session, dewi, cod[2], wib(NOV1, 12), done=True)
    progress(session, dewi, cod[0], wib(NOV2, 12), done=True)
    progress(session, dewi, cod[1], wib(NOV2, 13), done=True)
    # Ayu enrolled in COD before the range: not in this range's cohort, whatever she does now.
    progress(session, ayu, cod[0], wib(date(2026, 10, 31), 23, 59), done=True)
    progress(session, ayu, cod[1], wib(NOV2, 8), done=True)
    certificate.issue(session, ayu.id, cod_id)
    # Rudi: started after the range.
    progress(session, rudi, cod[0], wib(date(2026, 11, 4), 0, 0))
    # The retired module still counts someone who started it in the range.
    progress(session, rudi, old[0], wib(NOV1, 15), done=True)
    session.commit()


def test_module_funnel_follows_the_cohort_that_started_in_the_range(
    session: Session, learning: None
) -> None:
    funnel = analytics.module_funnel(session, RANGE)
    assert [(m.number, m.key, m.lessons, m.started, m.finished, m.certified) for m in funnel] == [
        (2, "cod", 2, 3, 2, 1),  # Siti, Budi, Dewi; Siti and Dewi finished; Siti's certificate
        (3, "ongkir", 1, 1, 1, 0),
        (6, "harga", 2, 0, 0, 0),  # active modules are listed even when nobody started
        (99, "lama", 0, 1, 0, 0),  # retired, listed because Rudi started it in the range
    ]
    assert [m.retired for m in funnel] == [False, False, False, True]
    assert funnel[0].title == "COD"

    october = analytics.module_funnel(session, DateRange(date(2026, 10, 1), date(2026, 10, 31)))
    cod = october[0]
    assert (cod.key, cod.started, cod.finished, cod.certified) == ("cod", 1, 1, 1)  # Ayu
    assert [m.key for m in october] == ["cod", "ongkir", "harga"]


# --- broadcasts ----------------------------------------------------------------------------------


def broadcast(
    session: Session,
    sellers: list[Seller],
    text: str,
    scheduled: datetime,
    outcomes: list[str],
    *,
    status: str = "done",
    parse_mode: str | None = None,
) -> int:
    row = Broadcast(
        created_by=301,
        text=text,
        segment={},
        status=status,
        scheduled_at=scheduled,
        started_at=scheduled if outcomes else None,
        parse_mode=parse_mode,
    )
    session.add(row)
    session.flush()
    for seller, outcome in zip(sellers, outcomes, strict=False):
        session.add(
            BroadcastDelivery(
                broadcast_id=row.id, seller_id=seller.id, chat_id=seller.chat_id, status=outcome
            )
        )
    session.flush()
    return row.id


@pytest.fixture
def broadcasts(session: Session, sellers: dict[str, Seller]) -> dict[str, int]:
    people = list(sellers.values())
    ids = {
        "before": broadcast(session, people, "Oktober", wib(date(2026, 10, 31), 23, 59), ["sent"]),
        "promo": broadcast(
            session,
            people,
            "<b>Promo 11.11</b> &amp; diskon ongkir\nDetail di modul Ongkir",
            wib(NOV1, 0, 0),
            ["sent", "sent", "blocked", "failed", "opted_out"],
            parse_mode="HTML",
        ),
        "cancelled_early": broadcast(
            session, people, "Dibatalkan", wib(NOV2, 9), [], status="cancelled"
        ),
        "drip": broadcast(session, people, "Drip COD", wib(NOV2, 9), ["sent"], status="drip"),
        "kelas": broadcast(
            session,
            people,
            "Kelas COD <3 malam ini",
            wib(NOV3, 19),
            ["sent", "pending", "sending", "cancelled", "skipped"],
            status="sending",
        ),
    }
    session.commit()
    return ids


def test_broadcast_delivery_per_broadcast(session: Session, broadcasts: dict[str, int]) -> None:
    lines = analytics.broadcast_delivery(session, RANGE)
    assert [b.broadcast_id for b in lines] == [broadcasts["promo"], broadcasts["kelas"]]
    promo, kelas = lines
    assert promo.preview == "Promo 11.11 & diskon ongkir"  # tags gone, entities decoded
    assert promo.status == "done" and promo.scheduled_at == wib(NOV1, 0, 0)
    assert [promo.count(s) for s in ("sent", "blocked", "failed", "opted_out")] == [2, 1, 1, 1]
    assert (promo.total, promo.waiting, promo.other) == (5, 0, 0)
    assert kelas.preview == "Kelas COD <3 malam ini"  # plain text keeps its "<"
    assert (kelas.count("sent"), kelas.waiting, kelas.other, kelas.total) == (1, 2, 2, 5)

    [latest] = analytics.broadcast_delivery(session, RANGE, limit=1)
    assert latest.broadcast_id == broadcasts["kelas"]
    assert analytics.broadcast_delivery(session, DateRange(NOV2, NOV2)) == []


def test_overview_bundles_every_figure(
    session: Session, conversations: None, learning: None, broadcasts: dict[str, int]
) -> None:
    data = analytics.overview(session, RANGE)
    assert data.range == RANGE and len(data.days) == 3
    assert (data.incoming, data.questions) == (11, 8)
    assert data.fallback_rate == pytest.approx(2 / 6)
    assert (data.handoff_requests, data.staff_replies) == (1, 2)
    assert data.intents.total == 6  # the same messages as the fallback rate's denominator
    assert [m.key for m in data.modules][:2] == ["cod", "ongkir"]
    assert len(data.broadcasts) == 2


def test_preview_of_long_and_empty_texts() -> None:
    assert analytics.broadcast_preview("x" * 100, None) == "x" * 59 + "…"
    assert analytics.broadcast_preview("  \n", None) == ""
    assert analytics.broadcast_preview("<i>a</i> &lt;b&gt;", "HTML") == "a <b>"
