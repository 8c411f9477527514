"""A realistic month of made-up activity for /analitik's browser test and screenshot.

Everything is invented: first names only, no real person. A fixed random seed keeps the page
the same from run to run for a given last day. The real module catalogue (content/modules) is
synced, so the funnel shows the modules sellers actually get.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.cli import DEFAULT_CONTENT_DIR
from bot.content.loader import load_catalogue
from bot.content.sync import sync_catalogue
from bot.db import repository
from bot.db.models import (
    Broadcast,
    BroadcastDelivery,
    ContentLesson,
    ContentModule,
    Direction,
    LessonProgress,
    Message,
    Seller,
)
from bot.learning import certificate
from bot.support import analytics
from tests.support_db import add_staff

NAMES: Final = (
    "Siti", "Budi", "Ayu", "Dewi", "Rudi", "Wati", "Agus", "Rina", "Yanto", "Nur", "Putri",
    "Eko", "Lestari", "Joko", "Fitri", "Hendra", "Maya", "Bayu", "Sri", "Dimas", "Indah",
    "Fajar", "Yuni", "Wahyu", "Ratna", "Arif", "Tuti", "Gilang", "Nadia", "Rizky",
)  # fmt: skip
# (intent, weight, a typical message)
INTENTS: Final = (
    ("tanya_ongkir", 22, "ongkir jne ke makassar berapa kak"),
    ("tanya_cod", 18, "cara aktifin cod di shopee gimana"),
    ("tanya_listing_produk", 10, "foto produk yg bagus ukuran brp"),
    ("tanya_harga", 9, "harga jual sebaiknya dihitung gmn"),
    ("sapa", 8, "halo kak"),
    ("tanya_pembayaran", 7, "dana cair ke rekening berapa hari"),
    ("terima_kasih", 6, "makasih infonya kak"),
    ("tanya_algoritma", 5, "kenapa toko saya sepi pengunjung"),
    ("tanya_retur_komplain", 4, "pembeli minta retur barang rusak"),
    ("tanya_keamanan_akun", 3, "akun saya login di hp lain"),
    ("di_luar_topik", 2, "resep rendang dong"),
)
BROADCASTS: Final = (
    ("Promo 11.11: siapkan stok dan cek ongkir gratis", 3),
    ("Kelas COD minggu ini, Rabu 19.00 WIB", 8),
    ("Tips foto produk pakai HP, hasil rapi", 13),
    ("Modul baru: harga yang bikin untung", 18),
    ("Waspada penipuan: jangan bagikan kode OTP", 22),
    ("Jelang Harbolnas 12.12: atur jadwal kirim", 27),
)


def _at(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=analytics.WIB).astimezone(UTC)


def seed_month(sessions: sessionmaker[Session], last_day: date, days: int = 30) -> None:
    """`days` WIB days of questions, fallbacks, handoffs, lessons and broadcasts up to
    `last_day`."""
    rng = random.Random(6)
    first_day = last_day - timedelta(days=days - 1)
    with sessions.begin() as session:
        sync_catalogue(session, load_catalogue(DEFAULT_CONTENT_DIR))
        staff = [add_staff(session, name, 700 + n).id for n, name in enumerate(("rina", "tono"))]
        sellers = [
            repository.upsert_seller(
                session,
                telegram_user_id=8_300_000_000 + n,
                chat_id=8_300_000_000 + n,
                first_name=NAMES[n % len(NAMES)],
            )
            for n in range(90)
        ]
        session.flush()
        _messages(session, rng, sellers, staff, first_day, days)
        _learning(session, rng, sellers, first_day, days)
        _broadcasts(session, rng, sellers, first_day, days)


def _messages(
    session: Session,
    rng: random.Random,
    sellers: list[Seller],
    staff: list[int],
    first_day: date,
    days: int,
) -> None:
    intents = [i for i, _, _ in INTENTS]
    weights = [w for _, w, _ in INTENTS]
    texts = {i: t for i, _, t in INTENTS}
    rows: list[Message] = []

    def add(seller: Seller, at: datetime, **values: object) -> None:
        rows.append(Message(seller=seller, chat_id=seller.chat_id, created_at=at, **values))

    for n in range(days):
        day = first_day + timedelta(days=n)
        weekend = day.weekday() >= 5
        typed = int(rng.gauss(34 if weekend else 52, 6) + n * 0.6)
        # The fallback rate falls over the month as reviewed examples are learnt.
        fallback_share = 0.16 - 0.09 * n / max(days - 1, 1)
        for _ in range(max(typed, 5)):
            seller = rng.choice(sellers)
            at = _at(day, rng.randint(7, 22), rng.randint(0, 59))
            if rng.random() < fallback_share:
                intent, text = "nlu_fallback", "kak yg kmrn itu gmn ya"
            else:
                intent = rng.choices(intents, weights)[0]
                text = texts[intent]
            add(
                seller,
                at,
                direction=Direction.IN,
                kind="text",
                text=text,
                intent=intent,
                confidence=round(rng.uniform(0.62, 0.99), 2),
                delivery_status="answered",
            )
            if rng.random() < 0.35:  # a button press after the answer
                add(
                    seller,
                    at + timedelta(minutes=1),
                    direction=Direction.IN,
                    kind="callback",
                    text="/lihat_modul",
                    intent="lihat_modul",
                    confidence=1.0,
                    delivery_status="answered",
                )
        for _ in range(rng.choice((0, 1, 1, 2, 2, 3))):
            seller = rng.choice(sellers)
            at = _at(day, rng.randint(8, 20), rng.randint(0, 59))
            add(
                seller,
                at,
                direction=Direction.IN,
                kind="text",
                text="mau ngobrol sama orang",
                intent="minta_bantuan_manusia",
                confidence=0.97,
                delivery_status="handoff_requested",
            )
            for k in range(rng.randint(1, 3)):
                add(
                    seller,
                    at + timedelta(minutes=20 + 15 * k),
                    direction=Direction.OUT,
                    kind="text",
                    text="Halo Kak, kami bantu ya.",
                    delivery_status="sent",
                    sent_by_account_id=rng.choice(staff),
                )
    session.add_all(rows)
    session.flush()


def _learning(
    session: Session, rng: random.Random, sellers: list[Seller], first_day: date, days: int
) -> None:
    modules = session.scalars(select(ContentModule).order_by(ContentModule.number)).all()
    lessons = {
        m.id: session.scalars(
            select(ContentLesson)
            .where(ContentLesson.module_id == m.id, ContentLesson.retired_at.is_(None))
            .order_by(ContentLesson.position)
        ).all()
        for m in modules
    }
    # Popular modules first: sellers start the early, practical ones more often.
    popularity = [max(12 - m.number, 1) for m in modules]
    for seller in sellers:
        chosen = set(rng.choices(modules, popularity, k=rng.randint(0, 3)))
        for module in sorted(chosen, key=lambda m: m.number):
            start = _at(first_day + timedelta(days=rng.randrange(days)), rng.randint(8, 21), 0)
            finished_all = True
            for k, lesson in enumerate(lessons[module.id]):
                started = start + timedelta(days=k)
                done = rng.random() < 0.78
                session.add(
                    LessonProgress(
                        seller_id=seller.id,
                        lesson_id=lesson.id,
                        started_at=started,
                        updated_at=started,
                        completed_at=started + timedelta(minutes=12) if done else None,
                    )
                )
                if not done:
                    finished_all = False
                    break
            session.flush()
            if finished_all and rng.random() < 0.9:
                certificate.issue(session, seller.id, module.id)


def _broadcasts(
    session: Session, rng: random.Random, sellers: list[Seller], first_day: date, days: int
) -> None:
    for text, offset in BROADCASTS:
        if offset >= days:
            continue
        at = _at(first_day + timedelta(days=offset), 9, 0)
        broadcast = Broadcast(
            created_by=301,
            text=text,
            segment={},
            status="done",
            scheduled_at=at,
            started_at=at,
            finished_at=at + timedelta(seconds=5),
        )
        session.add(broadcast)
        session.flush()
        for seller in rng.sample(sellers, rng.randint(60, 85)):
            roll = rng.random()
            status = (
                "blocked"
                if roll < 0.05
                else "failed"
                if roll < 0.07
                else "opted_out"
                if roll < 0.11
                else "sent"
            )
            session.add(
                BroadcastDelivery(
                    broadcast_id=broadcast.id,
                    seller_id=seller.id,
                    chat_id=seller.chat_id,
                    status=status,
                )
            )
    session.flush()
