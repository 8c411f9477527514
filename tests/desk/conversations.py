"""Realistic (invented) seller conversations for the support pages' tests and screenshots: no
real person's data. Times are relative to `now`, so waiting times look as they would."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.db.models import Message, Seller, utcnow
from tests.support_db import add_incoming, add_outgoing, add_seller

XSS_SCRIPT = "<script>alert(1)</script>"
XSS_IMG = '"><img src=x onerror=alert(1)>'
SQLI = "'; DROP TABLE messages; --"


@dataclass(frozen=True)
class Seeded:
    siti: int  # 👎 on a COD answer, low confidence, not reviewed
    budi: int  # asked for a person (handoff requested), a fallback before
    dewi: int  # ongkir question, reviewed
    agus: int  # fallback, not reviewed
    rina: int  # 👍, reviewed; alone on her WIB day (4 days ago, >24 h from every other message)
    yusuf: int  # taken over by staff, answered the takeover reply (waiting since)
    siti_question: int  # the message id Siti gave a 👎
    budi_fallback: int
    now: datetime


def _seller(
    session: Session, user_id: int, first: str, last: str | None, username: str | None
) -> Seller:
    return add_seller(session, user_id, first, last_name=last, username=username)


def _mark_reviewed(seller: Seller, message: Message) -> None:
    seller.reviewed_message_id = message.id


def seed_conversations(sessions: sessionmaker[Session], now: datetime | None = None) -> Seeded:
    now = now or utcnow()

    def ago(**delta: float) -> datetime:
        return now - timedelta(**delta)

    with sessions.begin() as session:
        siti = _seller(session, 7001, "Siti", "Rahmawati", "siti_batik")
        q = add_incoming(
            session,
            siti,
            "kak cara aktifin cod di shopee gmn ya",
            ago(days=2, hours=3),
            intent="tanya_cod",
            confidence=0.91,
            feedback="down",
        )
        add_outgoing(
            session,
            siti,
            "COD (bayar di tempat) diaktifkan dari Seller Centre → Pengaturan Pengiriman.",
            ago(days=2, hours=3, seconds=-2),
            reply_to=q,
        )
        q2 = add_incoming(
            session,
            siti,
            "kalau pembeli nolak paket cod, ongkir balik siapa yg bayar?",
            ago(days=2, hours=2),
            intent="tanya_ongkir",
            confidence=0.48,
            entities=[{"entity": "platform", "value": "shopee"}],
        )
        add_outgoing(
            session,
            siti,
            "Ongkir dihitung dari berat aktual atau berat volume, mana yang lebih besar.",
            ago(days=2, hours=2, seconds=-2),
            reply_to=q2,
        )

        budi = _seller(session, 7002, "Budi", "Santoso", "budi_kopi_gayo")
        fb = add_incoming(
            session,
            budi,
            "paket sy ke medan blm sampai 5 hari gmn nih",
            ago(hours=3),
            intent="nlu_fallback",
            confidence=0.41,
            status="fallback",
        )
        add_outgoing(
            session,
            budi,
            "Maaf, Kak, saya belum paham. Maksud Kakak soal ongkir atau pengiriman?",
            ago(hours=3, seconds=-2),
            reply_to=fb,
        )
        ask = add_incoming(
            session,
            budi,
            "sy mau ngobrol sama orang aja kak",
            ago(hours=2, minutes=40),
            intent="minta_bantuan_manusia",
            confidence=0.97,
            status="handoff_requested",
        )
        add_outgoing(
            session,
            budi,
            "Baik, Kak 🙏 Permintaan Kakak sudah kami teruskan ke tim AKAR.",
            ago(hours=2, minutes=40, seconds=-2),
            reply_to=ask,
        )
        add_incoming(
            session,
            budi,
            "resinya JNE 0123 4567 8910, dikirim tgl 3",
            ago(hours=2, minutes=35),
            status="handoff_ack",
        )
        budi.handoff_state, budi.handoff_at = "requested", ago(hours=2, minutes=40)

        dewi = _seller(session, 7003, "Dewi", "Lestari", None)
        q3 = add_incoming(
            session,
            dewi,
            "berat volume itu dihitung gimana kak",
            ago(days=1, hours=5),
            intent="tanya_ongkir",
            confidence=0.88,
        )
        last = add_outgoing(
            session,
            dewi,
            "Berat volume = panjang × lebar × tinggi (cm) ÷ 6.000.",
            ago(days=1, hours=5, seconds=-2),
            reply_to=q3,
        )
        _mark_reviewed(dewi, last)

        agus = _seller(session, 7004, "Agus", "Wibowo", "agus_sablon")
        add_incoming(
            session,
            agus,
            "min toko sy kena pinalti krn telat kirim, bisa dihapus ga",
            ago(hours=20),
            intent="nlu_fallback",
            confidence=0.33,
            status="fallback",
        )

        rina = _seller(session, 7005, "Rina", "Marlina", "rina.hijab")
        q4 = add_incoming(
            session,
            rina,
            "tips foto produk pakai hp biar rapi",
            ago(days=4),
            intent="tanya_listing_produk",
            confidence=0.95,
            feedback="up",
        )
        last = add_outgoing(
            session,
            rina,
            "Pakai cahaya alami dari jendela dan latar polos, Kak.",
            ago(days=4, seconds=-2),
            reply_to=q4,
        )
        _mark_reviewed(rina, last)

        yusuf = _seller(session, 7006, "Yusuf", "Hidayat", None)
        q5 = add_incoming(
            session,
            yusuf,
            "saldo penjualan sy ditahan 14 hari, normal ga kak?",
            ago(hours=6),
            intent="tanya_pembayaran",
            confidence=0.83,
        )
        add_outgoing(
            session,
            yusuf,
            "Halo Kak Yusuf, saya Rina dari tim AKAR. Boleh kirim nama tokonya?",
            ago(hours=5, minutes=50),
            reply_to=q5,
        )
        yusuf.handoff_state, yusuf.handoff_at = "staff", ago(hours=5, minutes=50)
        add_incoming(  # his answer to the takeover reply, held for staff: he waits since
            session,
            yusuf,
            "nama tokonya Hidayat Jaya kak, saldo 2,3 jt blm cair",
            ago(hours=5, minutes=20),
            status="handoff_ack",
        )
        session.flush()
        return Seeded(
            siti=siti.id,
            budi=budi.id,
            dewi=dewi.id,
            agus=agus.id,
            rina=rina.id,
            yusuf=yusuf.id,
            siti_question=q.id,
            budi_fallback=fb.id,
            now=now,
        )


def seed_hostile(sessions: sessionmaker[Session], now: datetime | None = None) -> int:
    """A seller whose name and messages are XSS and SQL-injection attempts."""
    now = now or utcnow()
    with sessions.begin() as session:
        seller = _seller(session, 7666, XSS_SCRIPT, XSS_IMG, None)
        add_incoming(
            session, seller, f"halo {XSS_SCRIPT}", now - timedelta(minutes=5), intent="sapa"
        )
        add_incoming(session, seller, f"cek {XSS_IMG}", now - timedelta(minutes=4), intent="sapa")
        add_incoming(session, seller, f'=HYPERLINK("http://x") {SQLI}', now - timedelta(minutes=3))
        return seller.id


def seed_many(sessions: sessionmaker[Session], count: int, now: datetime | None = None) -> None:
    """`count` short conversations, one a minute back from `now` (for paging)."""
    now = now or utcnow()
    with sessions.begin() as session:
        for n in range(count):
            seller = add_seller(session, 80_000 + n, f"Penjual{n:02d}")
            add_incoming(
                session,
                seller,
                f"pertanyaan nomor {n}",
                now - timedelta(days=10, minutes=n),
                intent="sapa",
                confidence=0.9,
            )
