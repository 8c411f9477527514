"""What the bot says about privacy, outside the editable privacy text (content/privasi.md), and
the data of its buttons."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from bot.rendering import Button

# "Baca selengkapnya" under the notice: the full text, like /privasi.
SHOW_FULL: Final = Button("📄 Baca selengkapnya", "pv")
CANCEL_DATA: Final = "pd:n"
EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
CONFIRM_VALID: Final = timedelta(hours=1)
# pd:y:<seller id>:<seller created, µs>:<asked, minutes>: which seller record the question was
# about (SQLite reuses a deleted row's id, so the id alone cannot tell a new record from the
# old one) and when it was asked. Numbers in base 36; always well under Telegram's 64 bytes.
_CONFIRM: Final = re.compile(
    r"^pd:y:(?P<seller>[0-9]{1,18}):(?P<since>[0-9a-z]{1,12}):(?P<minute>[0-9a-z]{1,6})$"
)

ASK_DELETION: Final = (
    "Kakak mau menghapus semua data Kakak di asisten AKAR? 🗑️\n\n"
    "Yang akan dihapus:\n"
    "• semua pesan Kakak dengan asisten ini\n"
    "• profil (nama panggilan, toko, kota, dan lainnya)\n"
    "• progres belajar dan jawaban kuis\n"
    "• sertifikat, jadi kodenya tidak bisa dicek lagi\n"
    "• catatan tim dukungan tentang percakapan Kakak\n\n"
    "Siaran dari tim AKAR juga berhenti. Data yang sudah dihapus tidak bisa dikembalikan.\n"
    "Riwayat chat di aplikasi Telegram Kakak tidak ikut terhapus; itu bisa Kakak hapus sendiri."
)
DELETED: Final = (
    "Data Kakak sudah kami hapus ✅\n\n"
    "Pesan, profil, progres belajar, jawaban kuis, dan sertifikat Kakak tidak tersimpan lagi "
    "di asisten AKAR. Kode sertifikat Kakak sekarang tidak bisa dicek lagi, dan siaran tidak "
    "akan dikirim lagi.\n\n"
    "Kalau nanti Kakak menulis lagi, kami mulai dari awal seperti pengguna baru (lihat /privasi). "
    "Terima kasih sudah belajar bersama AKAR 🙏"
)
ALREADY_DELETED: Final = (
    "Data Kakak sudah terhapus, Kak. Tidak ada lagi yang tersimpan di asisten AKAR."
)
CANCELLED: Final = "Baik, Kak. Data Kakak tidak dihapus 👍"
STALE: Final = (
    "Tombol ini sudah tidak berlaku, Kak. "
    "Kalau Kakak tetap ingin menghapus data, ketik /hapusdata lagi, ya."
)


def yes_no_buttons(
    seller_id: int, seller_since: datetime, now: datetime
) -> tuple[tuple[Button, ...], ...]:
    yes = Button("Ya, hapus", confirm_data(seller_id, seller_since, now))
    return ((yes, Button("Batal", CANCEL_DATA)),)


def _micros(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def confirm_data(seller_id: int, seller_since: datetime, now: datetime) -> str:
    minute = _base36(int(now.timestamp()) // 60)
    return f"pd:y:{seller_id}:{_base36(_micros(seller_since))}:{minute}"


@dataclass(frozen=True)
class Confirmation:
    seller_id: int
    seller_since: datetime  # the seller record's created_at
    asked_at: datetime

    def is_for(self, seller_id: int, created_at: datetime) -> bool:
        return self.seller_id == seller_id and self.seller_since == created_at


def parse_confirm(data: str) -> Confirmation | None:
    match = _CONFIRM.match(data)
    if match is None:
        return None
    since = EPOCH + timedelta(microseconds=int(match["since"], 36))
    asked = EPOCH + timedelta(minutes=int(match["minute"], 36))
    return Confirmation(int(match["seller"]), since, asked)


def is_deletion_data(data: str) -> bool:
    return data == CANCEL_DATA or data.startswith("pd:y:")


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if number == 0:
            return out
