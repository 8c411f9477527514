"""Seller-facing button titles and payloads shared by the custom actions.

Payloads are always "/intent_name": the bot checks a pressed button against the model's intents,
and Telegram rejects callback data over 64 bytes, so payloads are kept to 60 bytes. Titles stay
short enough for two buttons side by side on a phone. The titles match the buttons in
`domain.yml`, so a topic is called the same everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

MAX_PAYLOAD_BYTES: Final = 60
MAX_TITLE_CHARS: Final = 25

# Topic intents and how a seller would name them. Order = order of the module list.
TOPIC_LABELS: Final[dict[str, str]] = {
    "tanya_daftar_toko": "Buka toko online",
    "tanya_cod": "Soal COD",
    "tanya_ongkir": "Soal ongkir",
    "tanya_algoritma": "Toko sepi / algoritma",
    "tanya_listing_produk": "Foto & deskripsi",
    "tanya_harga": "Harga & margin",
    "tanya_pemasaran_digital": "Promosi online",
    "tanya_retur_komplain": "Retur & komplain",
    "tanya_keamanan_akun": "Keamanan akun",
    "tanya_aturan_hukum": "Izin & aturan",
    "tanya_pembayaran": "Saldo & pembayaran",
    "tanya_program_akar": "Tentang AKAR",
}

# What most new sellers ask first; offered when there is nothing better to suggest.
DEFAULT_TOPICS: Final[tuple[str, ...]] = ("tanya_cod", "tanya_ongkir", "tanya_algoritma")

LIHAT_MODUL: Final = "lihat_modul"
TANYA_LAGI: Final = "tanya_lagi"
MINTA_BANTUAN_MANUSIA: Final = "minta_bantuan_manusia"

Button = dict[str, str]


def button(title: str, intent: str) -> Button:
    """A Rasa button whose payload triggers `intent` directly, bypassing the NLU."""
    payload = f"/{intent}"
    if len(payload.encode("utf-8")) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"payload {payload!r} exceeds {MAX_PAYLOAD_BYTES} bytes")
    if len(title) > MAX_TITLE_CHARS:
        raise ValueError(f"button title {title!r} exceeds {MAX_TITLE_CHARS} characters")
    return {"title": title, "payload": payload}


# A clarifying button shows an answer's title (metadata.judul, <= 32 characters) on a row of
# its own, so it may be longer than two-per-row buttons.
MAX_CHOICE_TITLE_CHARS: Final = 32


def answer_choice_button(key: str, title: str) -> Button:
    """A "Maksud Kakak yang mana?" choice: `tanya_cod/paket_ditolak` ->
    `/tanya_cod{"jawaban":"paket_ditolak"}`, which answers that question without asking again."""
    intent, _, sub = key.partition("/")
    payload = _answer_payload("jawaban", intent, sub)
    if len(title) > MAX_CHOICE_TITLE_CHARS:
        raise ValueError(f"choice title {title!r} exceeds {MAX_CHOICE_TITLE_CHARS} characters")
    return {"title": title, "payload": payload}


def _answer_payload(key_entity: str, intent: str, sub: str) -> str:
    payload = f'/{intent}{{"{key_entity}":"{sub}"}}'
    if not sub or len(payload.encode("utf-8")) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"payload {payload!r} is not an answer within {MAX_PAYLOAD_BYTES} bytes")
    return payload


MORE_TITLE: Final = "Selengkapnya"
SOURCES_TITLE: Final = "📎 Sumber"


def more_button(intent: str, sub: str) -> Button:
    """The rest of a long answer (`/tanya_cod{"lanjut":"paket_ditolak"}`)."""
    return {"title": MORE_TITLE, "payload": _answer_payload("lanjut", intent, sub)}


def sources_button(intent: str, sub: str) -> Button:
    """Where an answer's facts come from (`/tanya_cod{"sumber":"paket_ditolak"}`)."""
    return {"title": SOURCES_TITLE, "payload": _answer_payload("sumber", intent, sub)}


def topic_button(intent: str) -> Button:
    """The button for a topic intent, titled with its seller-facing label."""
    return button(TOPIC_LABELS[intent], intent)


TANYA_LAGI_TITLE: Final = "Tanya lagi"


# The AKAR training module each topic belongs to: (topik key, number, full title, button label).
# Modules become real lessons in issue #4; until then the button opens the module's overview.
@dataclass(frozen=True)
class Module:
    key: str
    number: int
    title: str
    short: str


MODULES: Final[tuple[Module, ...]] = (
    Module("daftar_toko", 1, "Memulai toko online", "Buka toko"),
    Module("cod", 2, "COD tanpa rugi", "COD"),
    Module("ongkir", 3, "Ongkos kirim dan logistik", "Ongkir"),
    Module("algoritma", 4, "Memahami algoritma platform", "Algoritma"),
    Module("listing_produk", 5, "Foto dan deskripsi produk", "Foto & judul"),
    Module("harga", 6, "Harga, margin dan biaya platform", "Harga"),
    Module("pemasaran_digital", 7, "Pemasaran digital", "Promosi"),
    Module("retur_komplain", 8, "Layanan pelanggan, retur dan ulasan", "Retur & ulasan"),
    Module("keamanan_akun", 9, "Keamanan akun dan anti-penipuan", "Keamanan"),
    Module("aturan_hukum", 10, "Aturan jual beli online", "Aturan"),
    Module("pembayaran", 11, "Saldo dan pembayaran toko", "Pembayaran"),
)
MODULE_BY_KEY: Final[dict[str, Module]] = {module.key: module for module in MODULES}


def module_for_topic(intent: str) -> Module | None:
    """`tanya_cod` -> the COD module; topics without a module of their own give None."""
    return MODULE_BY_KEY.get(intent.removeprefix("tanya_"))


def module_button(intent: str) -> Button:
    """The "📚 Modul ..." button that ends every topic answer (all modules if none fits)."""
    module = module_for_topic(intent)
    if module is None:
        return button("📚 Lihat semua modul", LIHAT_MODUL)
    payload = f'/{LIHAT_MODUL}{{"topik":"{module.key}"}}'
    if len(payload.encode("utf-8")) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"payload {payload!r} exceeds {MAX_PAYLOAD_BYTES} bytes")
    title = f"📚 Modul {module.short}"
    if len(title) > MAX_TITLE_CHARS:
        raise ValueError(f"button title {title!r} exceeds {MAX_TITLE_CHARS} characters")
    return {"title": title, "payload": payload}
