"""Drip series against a real SQLite database and, for delivery, the Bot API emulator with the
real sender: timing relative to each seller's enrolment and zone, skips, opt-outs, no
duplicates, stopping, retired lessons, and a query count that does not grow with sellers."""

from __future__ import annotations

import itertools
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event, insert, select, update
from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot

from bot.broadcast import city_zone, drip, outbox
from bot.broadcast.sender import FOOTER, BroadcastSender
from bot.cli import main
from bot.db.models import (
    Broadcast,
    BroadcastDelivery,
    ContentLesson,
    ContentModule,
    DripStep,
    LessonProgress,
    Seller,
    SellerProfile,
    utcnow,
)
from bot.db.session import make_engine, make_session_factory
from tests.emulator.emulator import TelegramEmulator

ROOT = Path(__file__).resolve().parent.parent
# Monday 2 March 2026, 00:00 UTC = 07:00 WIB = 08:00 WITA = 09:00 WIT.
T = datetime(2026, 3, 2, tzinfo=UTC)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
_ids = itertools.count(8_200_000_001)


@pytest.fixture
def url(database_url: str) -> str:
    """A fresh migrated database, on SQLite and on PostgreSQL."""
    return database_url


@pytest.fixture
def sessions(url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with factory.begin() as session:
        add_module(session, "cod", 3, number=2)
        add_module(session, "ongkir", 2, number=3)
    yield factory
    engine.dispose()


def add_module(session: Session, key: str, lessons: int, *, number: int) -> None:
    module = ContentModule(key=key, number=number, title=f"Modul {key}", topic=key, summary="-")
    session.add(module)
    session.flush()
    for position in range(1, lessons + 1):
        session.add(
            ContentLesson(
                module_id=module.id,
                key=f"{key}{position}",
                position=position,
                title=f"Pelajaran {key} {position}",
                minutes=5,
                parts=[{"heading": "Isi", "text": "Teks."}],
                sources=[],
                fingerprint=f"{key}{position}",
            )
        )
    session.flush()


def lessons(session: Session, key: str) -> list[int]:
    return list(
        session.scalars(
            select(ContentLesson.id)
            .join(ContentModule)
            .where(ContentModule.key == key)
            .order_by(ContentLesson.position)
        )
    )


def add_seller(
    session: Session, name: str, city: str | None = "Jakarta", *, opted_out: bool = False
) -> Seller:
    telegram_id = next(_ids)
    seller = Seller(
        telegram_user_id=telegram_id,
        chat_id=telegram_id,
        first_name=name,
        broadcast_opt_out=opted_out,
    )
    session.add(seller)
    session.flush()
    session.add(SellerProfile(seller_id=seller.id, city=city, platforms=[]))
    session.flush()
    return seller


def enrol(
    session: Session, seller: Seller, lesson_id: int, at: datetime, *, finished: bool = False
) -> None:
    session.add(
        LessonProgress(
            seller_id=seller.id,
            lesson_id=lesson_id,
            part=0,
            started_at=at,
            updated_at=at,
            completed_at=at if finished else None,
        )
    )
    session.flush()


def rows(session: Session) -> set[tuple[str, int, str]]:
    """(seller name, step position, status) of every drip delivery row."""
    result = session.execute(
        select(Seller.first_name, DripStep.position, BroadcastDelivery.status)
        .join(BroadcastDelivery, BroadcastDelivery.seller_id == Seller.id)
        .join(DripStep, DripStep.broadcast_id == BroadcastDelivery.broadcast_id)
    )
    return {(name, position, status) for name, position, status in result}


def due(session: Session, now: datetime) -> set[tuple[str, int, str]]:
    drip.schedule_due(session, now)
    return rows(session)


# --- zones ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("city", "zone"),
    [
        ("Jakarta Selatan", "WIB"),
        ("Kota Bandung", "WIB"),
        ("jogja", "WIB"),
        ("Pontianak", "WIB"),  # Kalimantan Barat
        ("Kab. Banjar", "WITA"),  # Kalimantan Selatan; Kota Banjar is in Jawa Barat
        ("Kota Banjar", "WIB"),
        ("Makassar, Sulsel", "WITA"),
        ("Denpasar Bali", "WITA"),
        ("Balikpapan", "WITA"),
        ("Kota Jayapura", "WIT"),
        ("Ternate", "WIT"),
        ("Buru", "WIT"),  # an everyday word: only as the whole answer
        ("buru-buru pindah", "WIB"),
        ("Kecamatan Cibinong, Bogor", "WIB"),
        ("Planet Mars", "WIB"),
        ("", "WIB"),
        (None, "WIB"),
    ],
)
def test_zone_of_city(city: str | None, zone: str) -> None:
    assert city_zone.zone_of_city(city) == zone


def test_zone_file_is_generated_and_current() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "zona_kota.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    names = city_zone._table()
    assert len(names) > 600
    assert all(city_zone.normalise(name) == name for name in names)


def test_due_time_is_local_and_never_before_enrolment() -> None:
    wib, wit = city_zone.zone_info("WIB"), city_zone.zone_info("WIT")
    enrolled = T - 2 * HOUR  # 05:00 WIB, 07:00 WIT
    assert drip.due_at(enrolled, 0, 9, wit) == T  # 09:00 WIT
    assert drip.due_at(enrolled, 0, 9, wib) == T + 2 * HOUR  # 09:00 WIB, two hours later
    assert drip.due_at(enrolled, 2, 9, wib) == T + 2 * DAY + 2 * HOUR
    late = T + 8 * HOUR  # 15:00 WIB: day 0 goes at once, day 1 the next morning
    assert drip.due_at(late, 0, 9, wib) == late
    assert drip.due_at(late, 1, 9, wib) == T + DAY + 2 * HOUR


# --- creating and stopping ------------------------------------------------------------------


def test_create_series_makes_one_drip_broadcast_per_live_lesson(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        cod = lessons(session, "cod")
        session.execute(
            update(ContentLesson).where(ContentLesson.id == cod[1]).values(retired_at=T)
        )
        series = drip.create_series(session, "cod", days=None, now=T)
        assert series.name == "Seri Modul cod"
        assert [(s.position, s.day_offset, s.lesson_id) for s in series.steps] == [
            (1, 0, cod[0]),
            (2, 2, cod[2]),
        ]
        broadcasts = [session.get(Broadcast, s.broadcast_id) for s in series.steps]
        assert all(b is not None and b.status == "drip" for b in broadcasts)
        first = broadcasts[0]
        assert first is not None and first.lesson_id == cod[0]
        assert first.text.startswith("Pelajaran hari ini, Kak: Pelajaran cod 1")


@pytest.mark.parametrize(
    ("module", "days", "hour", "message"),
    [
        ("tidakada", None, 9, "tidak ditemukan"),
        ("cod", [0, 2], 9, r"perlu 3 angka \(misalnya 0,2,4\)"),
        ("cod", [0, 4, 2], 9, "tidak boleh mundur"),
        ("cod", [-1, 0, 2], 9, "tidak boleh mundur"),
        ("cod", None, 24, "antara 0 dan 23"),
    ],
)
def test_create_series_explains_what_is_wrong(
    sessions: sessionmaker[Session], module: str, days: list[int] | None, hour: int, message: str
) -> None:
    with sessions.begin() as session, pytest.raises(drip.DripError, match=message):
        drip.create_series(session, module, days=days, local_hour=hour)


def test_one_active_series_per_module(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        first = drip.create_series(session, "cod", days=None, now=T)
        with pytest.raises(drip.DripError, match=f"akar drip stop {first.id}"):
            drip.create_series(session, "cod", days=None, now=T)
        assert drip.deactivate(session, first.id, now=T) == 0
        assert drip.deactivate(session, first.id, now=T) is None
        drip.create_series(session, "cod", days=[0, 0, 1], now=T)  # allowed again


# --- scheduling ------------------------------------------------------------------------------


def test_steps_follow_each_sellers_own_enrolment(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        cod = lessons(session, "cod")
        drip.create_series(session, "cod", days=[0, 2, 4], now=T - 7 * DAY)
        enrol(session, add_seller(session, "A"), cod[0], T)  # Monday 07:00 WIB
        enrol(session, add_seller(session, "B"), cod[1], T + DAY)  # Tuesday, another lesson
        enrol(session, add_seller(session, "C"), lessons(session, "ongkir")[0], T)  # other module
        add_seller(session, "D")  # never enrolled

    with sessions.begin() as session:
        assert due(session, T + 2 * HOUR - timedelta(seconds=1)) == set()
        assert due(session, T + 2 * HOUR) == {("A", 1, "pending")}  # Monday 09:00 WIB
        assert due(session, T + DAY + 2 * HOUR) == {("A", 1, "pending"), ("B", 1, "pending")}
        assert ("A", 2, "pending") not in due(session, T + 2 * DAY + HOUR)
        assert due(session, T + 2 * DAY + 2 * HOUR) == {
            ("A", 1, "pending"),
            ("B", 1, "pending"),
            ("A", 2, "pending"),
        }
        later = due(session, T + 5 * DAY + 2 * HOUR)
        assert ("B", 3, "pending") in later and ("A", 3, "pending") not in later  # A's was
        # due on Saturday 09:00 but the scheduler first ran again 3 days late: dropped.


def test_local_hour_depends_on_the_sellers_zone(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        first = lessons(session, "cod")[0]
        drip.create_series(session, "cod", days=None, now=T - DAY)
        enrolled = T - 2 * HOUR  # 05:00 WIB, 06:00 WITA, 07:00 WIT
        for name, city in [
            ("Jayapura", "Kota Jayapura"),
            ("Makassar", "Makassar"),
            ("Jakarta", "DKI Jakarta"),
            ("Unknown", "Negeri Antah"),
            ("NoProfile", None),
        ]:
            enrol(session, add_seller(session, name, city), first, enrolled)

    def names(now: datetime) -> set[str]:
        with sessions.begin() as session:
            return {name for name, _, _ in due(session, now)}

    assert names(T - timedelta(seconds=1)) == set()
    assert names(T) == {"Jayapura"}  # 09:00 WIT
    assert names(T + HOUR) == {"Jayapura", "Makassar"}  # 09:00 WITA
    assert names(T + 2 * HOUR - timedelta(seconds=1)) == {"Jayapura", "Makassar"}
    assert names(T + 2 * HOUR) == {"Jayapura", "Makassar", "Jakarta", "Unknown", "NoProfile"}


def test_day_zero_goes_at_once_after_the_hour_and_counts_local_days(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        cod = lessons(session, "cod")
        drip.create_series(session, "cod", days=[0, 2, 4], now=T - DAY)
        afternoon = T + 7 * HOUR + 30 * timedelta(minutes=1)  # Monday 14:30 WIB
        enrol(session, add_seller(session, "Siang"), cod[0], afternoon)
        # Tuesday 01:00 WIB is still Monday in UTC: day 0 is Tuesday, at 09:00 WIB.
        enrol(session, add_seller(session, "Malam"), cod[0], T + 18 * HOUR)

    with sessions.begin() as session:
        assert due(session, afternoon) == {("Siang", 1, "pending")}
        assert due(session, T + 20 * HOUR) == {("Siang", 1, "pending")}
        assert due(session, T + DAY + 2 * HOUR) == {
            ("Siang", 1, "pending"),
            ("Malam", 1, "pending"),
        }
        assert ("Siang", 2, "pending") in due(session, T + 2 * DAY + 2 * HOUR)


def test_finished_lessons_are_skipped_and_opted_out_sellers_recorded(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        cod = lessons(session, "cod")
        drip.create_series(session, "cod", days=[0, 1, 2], now=T - DAY)
        enrol(session, add_seller(session, "Rajin"), cod[0], T - 3 * HOUR, finished=True)
        fast = add_seller(session, "Cepat")
        enrol(session, fast, cod[0], T - 3 * HOUR, finished=True)
        enrol(session, fast, cod[1], T - 2 * HOUR, finished=True)
        enrol(session, add_seller(session, "Berhenti", opted_out=True), cod[0], T - 3 * HOUR)

    with sessions.begin() as session:
        assert due(session, T + 2 * HOUR) == {
            ("Rajin", 1, "skipped"),
            ("Cepat", 1, "skipped"),
            ("Berhenti", 1, "opted_out"),
        }
        assert due(session, T + DAY + 2 * HOUR) == {
            ("Rajin", 1, "skipped"),
            ("Rajin", 2, "pending"),
            ("Cepat", 1, "skipped"),
            ("Cepat", 2, "skipped"),
            ("Berhenti", 1, "opted_out"),
            ("Berhenti", 2, "opted_out"),
        }


def test_repeated_runs_add_nothing_twice(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        cod = lessons(session, "cod")
        drip.create_series(session, "cod", days=[0, 0, 1], now=T - DAY)
        for n in range(5):
            enrol(session, add_seller(session, f"S{n}"), cod[0], T - 3 * HOUR)
    with sessions.begin() as session:
        assert drip.schedule_due(session, T + 2 * HOUR) == 10
        assert drip.schedule_due(session, T + 2 * HOUR) == 0
        assert drip.schedule_due(session, T + 3 * HOUR) == 0
        assert drip.schedule_due(session, T + DAY + 2 * HOUR) == 5
        assert session.scalar(select(sa.func.count()).select_from(BroadcastDelivery)) == 15


def test_a_concurrent_schedulers_rows_are_left_alone(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        series = drip.create_series(session, "cod", days=None, now=T)
        seller = add_seller(session, "S")
        row = {
            "broadcast_id": series.steps[0].broadcast_id,
            "seller_id": seller.id,
            "chat_id": seller.chat_id,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": T,
        }
        assert drip._insert_new(session, [row, dict(row, status="skipped")]) == 1
        assert rows(session) == {("S", 1, "pending")}


def test_stopping_a_series_cancels_what_is_waiting(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        cod = lessons(session, "cod")
        series = drip.create_series(session, "cod", days=[0, 1, 2], now=T - DAY)
        enrol(session, add_seller(session, "A"), cod[0], T - 3 * HOUR)
        enrol(session, add_seller(session, "B"), cod[0], T - 3 * HOUR, finished=True)
    with sessions.begin() as session:
        assert due(session, T + 2 * HOUR) == {("A", 1, "pending"), ("B", 1, "skipped")}
        assert drip.deactivate(session, series.id, now=T + 3 * HOUR) == 1
        assert due(session, T + DAY + 2 * HOUR) == {("A", 1, "cancelled"), ("B", 1, "skipped")}
        assert outbox.claim(session, 100, now=T + 2 * DAY) == []


def test_retired_lessons_are_not_scheduled(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        cod = lessons(session, "cod")
        drip.create_series(session, "cod", days=[0, 1, 2], now=T - DAY)
        enrol(session, add_seller(session, "A"), cod[0], T - 3 * HOUR)
        session.execute(
            update(ContentLesson).where(ContentLesson.id == cod[1]).values(retired_at=T)
        )
    with sessions.begin() as session:
        assert due(session, T + 2 * DAY + 2 * HOUR) == {("A", 3, "pending")}


def test_a_new_series_does_not_replay_old_lessons(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        cod = lessons(session, "cod")
        enrol(session, add_seller(session, "Lama"), cod[0], T - 30 * DAY)
        enrol(session, add_seller(session, "Kemarin"), cod[0], T - DAY)  # Sunday 07:00 WIB
        drip.create_series(session, "cod", days=[0, 2, 4], now=T)
    with sessions.begin() as session:
        assert due(session, T + 2 * HOUR) == set()
        assert due(session, T + DAY + 2 * HOUR) == {("Kemarin", 2, "pending")}


# --- delivery through the real sender --------------------------------------------------------


async def test_due_lessons_reach_telegram_once(
    sessions: sessionmaker[Session], emulator: TelegramEmulator, bot: Bot
) -> None:
    # The sender claims rows due by the wall clock, so this test lives in real time. Hour 0
    # makes every day-0 step due at enrolment, whatever time of day the test runs.
    now = utcnow()
    with sessions.begin() as session:
        cod = lessons(session, "cod")
        drip.create_series(session, "cod", days=[0, 0, 0], local_hour=0, now=now - HOUR)
        sellers = {
            name: add_seller(session, name, opted_out=name == "Berhenti")
            for name in ("Ani", "Budi", "Berhenti", "Blokir", "Pasif")
        }
        for seller in sellers.values():
            enrol(session, seller, cod[0], now - timedelta(minutes=5))
        enrol(session, sellers["Budi"], cod[1], now - timedelta(minutes=4), finished=True)
        sellers["Pasif"].is_active = False
        chats = {name: seller.chat_id for name, seller in sellers.items()}
    emulator.block_chat(chats["Blokir"])

    # The sender schedules due drip steps itself (4 active sellers x 3 steps).
    await BroadcastSender(bot, sessions, rate=50).run_until_idle()

    sent = [m for m in emulator.sent if m.method == "sendMessage"]
    received = sorted((m.chat_id, (m.text or "").splitlines()[0]) for m in sent)
    assert received == sorted(
        [(chats["Ani"], f"Pelajaran hari ini, Kak: Pelajaran cod {n} 📚") for n in (1, 2, 3)]
        + [(chats["Budi"], f"Pelajaran hari ini, Kak: Pelajaran cod {n} 📚") for n in (1, 3)]
    )
    assert all((m.text or "").endswith(FOOTER) for m in sent)
    first = next(m for m in sent if "cod 1" in (m.text or "") and m.chat_id == chats["Ani"])
    assert first.callback_data == [f"l:{cod[0]}:0"]  # the button opens the lesson itself

    with sessions.begin() as session:
        statuses = sorted(status for _, _, status in rows(session))
        assert statuses == sorted(["sent"] * 5 + ["skipped"] + ["opted_out"] * 3 + ["blocked"] * 3)
        assert drip.schedule_due(session, utcnow()) == 0
        assert all(b.status == "drip" for b in session.scalars(select(Broadcast)))
    await BroadcastSender(bot, sessions, rate=50).run_until_idle()
    assert len([m for m in emulator.sent if m.method == "sendMessage"]) == len(sent)


# --- scale -----------------------------------------------------------------------------------


def test_queries_do_not_grow_with_the_number_of_sellers(url: str) -> None:
    sellers = 10_000
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with factory.begin() as session:
        add_module(session, "cod", 3, number=2)
        cod = lessons(session, "cod")
        drip.create_series(session, "cod", days=[0, 0, 2], now=T - DAY)
        cities = ["Jakarta", "Makassar", "Jayapura", "Medan", None]
        session.execute(
            insert(Seller),
            [
                {
                    "id": n,
                    "telegram_user_id": 9_000_000_000 + n,
                    "chat_id": 9_000_000_000 + n,
                    "first_name": f"S{n}",
                }
                for n in range(1, sellers + 1)
            ],
        )
        session.execute(
            insert(SellerProfile),
            [
                {"seller_id": n, "city": cities[n % len(cities)], "platforms": []}
                for n in range(1, sellers + 1)
            ],
        )
        session.execute(
            insert(LessonProgress),
            [
                {
                    "seller_id": n,
                    "lesson_id": cod[0],
                    "part": 0,
                    "started_at": T - 3 * HOUR,
                    "updated_at": T - 3 * HOUR,
                    "completed_at": T - 2 * HOUR if n % 10 == 0 else None,
                }
                for n in range(1, sellers + 1)
            ],
        )

    selects: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        with factory.begin() as session:
            assert drip.schedule_due(session, T + 2 * HOUR) == 2 * sellers
        with factory.begin() as session:
            statuses = dict(
                session.execute(
                    select(BroadcastDelivery.status, sa.func.count()).group_by(
                        BroadcastDelivery.status
                    )
                ).all()
            )
            assert statuses == {"pending": sellers * 2 - sellers // 10, "skipped": sellers // 10}
        selects.clear()
        with factory.begin() as session:
            assert drip.schedule_due(session, T + 3 * HOUR) == 0
        assert len(selects) <= 3  # active series, live steps, candidates
    finally:
        event.remove(engine, "before_cursor_execute", count)
        engine.dispose()


# --- command line ----------------------------------------------------------------------------


def test_cli_create_list_stop(
    sessions: sessionmaker[Session],
    url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["drip", "list"]) == 0
    assert "Belum ada seri drip" in capsys.readouterr().out

    assert main(["drip", "create", "--module", "cod", "--days", "0,1,3", "--hour", "8"]) == 0
    out = capsys.readouterr().out
    assert 'Seri drip #1 "Seri Modul cod" dibuat untuk modul cod' in out
    assert "hari ke-0, 1, 3" in out and "jam 08.00 waktu setempat" in out

    assert main(["drip", "create", "--module", "cod"]) == 1
    assert "sudah punya seri aktif #1" in capsys.readouterr().err

    assert main(["drip", "list"]) == 0
    out = capsys.readouterr().out
    assert "#1" in out and "aktif" in out
    assert "1. hari ke-0: Pelajaran cod 1 (belum ada kiriman)" in out

    assert main(["drip", "stop", "1"]) == 0
    assert "Seri drip #1 dihentikan" in capsys.readouterr().out
    assert main(["drip", "stop", "1"]) == 1
    assert "tidak ada atau sudah dihentikan" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("city", "province"),
    [
        ("Cimahi", "32"),
        ("Kab. Bandung Barat", "32"),
        ("jogja", "34"),
        ("Makassar, Sulsel", "73"),
        ("Kota Banjar", "32"),
        ("Kabupaten Banjar", "63"),
        ("Sumatera", None),  # an island spans provinces
        ("Atlantis", None),
        (None, None),
    ],
)
def test_province_of_city(city: str | None, province: str | None) -> None:
    assert city_zone.province_of_city(city) == province
