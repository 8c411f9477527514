"""The masker on realistic seller messages: what must be masked, and what must stay readable
(prices, weights, sizes, dates, times, postcodes, resi and order numbers)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.privacy.masking import (
    ACCOUNT,
    EMAIL,
    NIK,
    PHONE,
    find,
    looks_like_nik,
    mask,
    mask_entities,
)

MASKED = [
    # mobile numbers, every way sellers write them
    ("kak no wa saya 0812-3456-7890 ya", f"kak no wa saya {PHONE} ya"),
    ("wa 081234567890", f"wa {PHONE}"),
    ("hub 0812 3456 7890 aja kak", f"hub {PHONE} aja kak"),
    ("nomor saya 0812.3456.789", f"nomor saya {PHONE}"),
    ("hubungi +62 812 3456 7890 atau 62 812-3456-789", f"hubungi {PHONE} atau {PHONE}"),
    ("+6281234567890", PHONE),
    ("(+62) 812-3456-7890", PHONE),
    ("+62 0812 3456 7890", PHONE),  # the 0 people add after +62 anyway
    ("+62-857-1234-5678.", f"{PHONE}."),
    ("klik wa.me/6281234567890 ya", f"klik wa.me/{PHONE} ya"),
    ("hp:081234567890", f"hp:{PHONE}"),
    ("0811-234-567", PHONE),  # the shortest: 10 digits
    ("0812-3456-78901", PHONE),  # the longest: 13 digits
    ("0812 3456 7890 0813 1111 2222", f"{PHONE} {PHONE}"),
    ("DANA 081234567890 ya kak", f"DANA {PHONE} ya kak"),
    ("WA 0812-3456-7890, bayar via BCA", f"WA {PHONE}, bayar via BCA"),
    # landlines with a visible area code
    ("toko (021) 555 1234", f"toko {PHONE}"),
    ("telp kantor 0274-123456 jam kerja", f"telp kantor {PHONE} jam kerja"),
    ("telp +62 21 5551234", f"telp {PHONE}"),
    ("021 5551 2345", PHONE),
    # e-mail
    ("email saya sari.batik@gmail.com ya", f"email saya {EMAIL} ya"),
    ("kirim ke Toko_Budi99@yahoo.co.id.", f"kirim ke {EMAIL}."),
    ("budi.081234567890@gmail.com", EMAIL),
    ("EMAIL: SITI@AKAR-UMKM.ID", f"EMAIL: {EMAIL}"),
    # bank accounts
    ("rek BCA 1234567890 a.n. Sari", f"rek BCA {ACCOUNT} a.n. Sari"),
    ("no rek: 123-456-7890 (BCA)", f"no rek: {ACCOUNT} (BCA)"),
    ("norek 0987654321", f"norek {ACCOUNT}"),
    ("no.rek mandiri 1230001234567", f"no.rek mandiri {ACCOUNT}"),
    ("transfer ke mandiri 123 00 1234567 8", f"transfer ke mandiri {ACCOUNT}"),
    ("BRI 0123-01-012345-50-1 an Budi", f"BRI {ACCOUNT} an Budi"),
    ("tf ke 1234567890 bca ya", f"tf ke {ACCOUNT} bca ya"),
    ("1234567890 (BNI) a.n. Dedi", f"{ACCOUNT} (BNI) a.n. Dedi"),
    ("bayar lewat VA BCA 3901081234567890", f"bayar lewat VA BCA {ACCOUNT}"),
    ("rek 0812345678 bca", f"rek {ACCOUNT} bca"),  # a BCA number that looks like a phone
    ("Seabank 901234567890", f"Seabank {ACCOUNT}"),
    # NIK
    ("NIK saya 3201014506900001", f"NIK saya {NIK}"),
    ("ktp: 3201 0145 0690 0001", f"ktp: {NIK}"),
    ("3273012301850002", NIK),  # shaped like a NIK, no keyword needed
    ("NIK 32.73.01.230185.0002", f"NIK {NIK}"),
    ("no KK 9999999999999999", f"no KK {NIK}"),  # a keyword makes any 16 digits personal
    # several kinds in one message
    (
        "Kak, WA 0812-3456-7890 / email sari@gmail.com, rek BCA 1234567890, NIK 3201014506900001",
        f"Kak, WA {PHONE} / email {EMAIL}, rek BCA {ACCOUNT}, NIK {NIK}",
    ),
]

UNCHANGED = [
    "kak cod itu apa sih?",
    "ongkir ke medan dari bandung brp ya",
    "harga 150.000, berat 1.500 gram, ukuran 30x20x10",
    "total Rp 1.250.000 sudah saya transfer ke BCA",
    "transfer Rp 15.000.000 ke rekening toko",
    "Rp150rb aja kak",
    "harga grosir 1500000 per lusin",
    "transfer 150000",
    "kardus 40x30x15 cm beratnya 2,5 kg",
    "jam 08.30-17.00, tgl 08-12-1990",
    "buka jam 08.00 sampai 21.00 WIB",
    "kode pos 40115 Bandung",
    "resi JNE 1234567890123, transfer via BCA",
    "resi sicepat 004123456789",
    "resi JP1234567890 belum gerak",
    "order 5123456789012345",
    "pesanan 3201014506900001 belum sampai",  # order number, even if NIK-shaped
    "no pesanan Shopee 240915ABCD1234",
    "INV/20240915/MPL/3456789012",
    "stok 1200 pcs, terjual 25000",
    "tahun 2019-2024 omzet naik",
    "sudah transfer tgl 12-12-2024 ke BCA",
    "transfer BCA tanggal 2024-12-01 jam 08.30",
    "rek BCA, bayar sebelum 31.12.2025",
    "0812 aja",  # too short to be a number
    "081234567",  # 9 digits: not a phone number
    "4111 1111 1111 1111",  # 16 digits, not NIK-shaped, no keyword
    "kk resi saya 1234567890123456 kok belum gerak",  # "kk" is "kakak" here
    "@toko_sari di IG",
    "saya dari Garut, jual batik",
    "",
]


@pytest.mark.parametrize(("text", "expected"), MASKED)
def test_personal_data_is_masked(text: str, expected: str) -> None:
    assert mask(text) == expected


@pytest.mark.parametrize("text", UNCHANGED)
def test_ordinary_numbers_are_left_alone(text: str) -> None:
    assert mask(text) == text


@pytest.mark.parametrize(("text", "expected"), MASKED)
def test_masking_is_idempotent(text: str, expected: str) -> None:
    assert mask(mask(text)) == mask(text)


def test_a_quantity_after_a_phone_number_stays() -> None:
    assert mask("0812 3456 7890 25 pcs") == f"{PHONE} 25 pcs"
    assert mask("0812 3456 7890 2 pcs") == f"{PHONE} 2 pcs"


def test_kinds_and_positions() -> None:
    text = "WA 0812-3456-7890, email a@b.co"
    assert [(f.kind, text[f.start : f.end]) for f in find(text)] == [
        ("phone", "0812-3456-7890"),
        ("email", "a@b.co"),
    ]


def test_a_number_spanning_lines_is_two_numbers() -> None:
    assert mask("rek BCA\n1234567890") == "rek BCA\n1234567890"  # the bank word is a line above


def test_nik_shape() -> None:
    assert looks_like_nik("3201014506900001")  # West Java, a woman born 5 June 1990
    assert looks_like_nik("3273012301850002")
    assert not looks_like_nik("4111111111111111")  # no province 41
    assert not looks_like_nik("3201013213900001")  # month 13
    assert not looks_like_nik("3201017506900001")  # day 75
    assert not looks_like_nik("3201014506900000")  # sequence 0000
    assert not looks_like_nik("320101450690001")  # 15 digits


def test_entities_are_masked_too() -> None:
    entities = [
        {"entity": "kota", "value": "Medan", "start": 10, "end": 15},
        {"entity": "berat", "value": "0812 3456 7890", "start": 0, "end": 14},
    ]
    assert mask_entities(entities) == [
        {"entity": "kota", "value": "Medan", "start": 10, "end": 15},
        {"entity": "berat", "value": PHONE, "start": 0, "end": 14},
    ]
    assert entities[1]["value"] == "0812 3456 7890"  # the caller's list is not changed
    assert mask_entities(None) is None


def test_nothing_in_the_assistants_own_texts_is_masked() -> None:
    """Answers, lessons and NLU examples are full of prices, weights, sizes and dates (about 300
    lines with numbers): none of it may look like personal data."""
    root = Path(__file__).resolve().parents[2]
    files = [
        *root.glob("domain/*.yml"),
        *root.glob("content/modules/*/*.md"),
        *root.glob("nlu/*.yml"),
        root / "tests" / "nlu" / "test_nlu.yml",
    ]
    assert len(files) > 30
    changed = [
        f"{path.name}:{number}: {line.strip()}"
        for path in files
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if mask(line) != line
    ]
    assert changed == []
