"""Masking personal numbers and addresses in text before it is stored.

What is masked, and what deliberately is not:

* Phone numbers: Indonesian mobile numbers written as 08xx, +62 8xx, 62 8xx or (+62) 8xx, with
  or without spaces, dashes or dots between digit groups (9 to 12 digits after the 0 or 62);
  landlines only with a visible area code, "(021) 555 1234", "0274-123456", "+62 21 5551234".
* E-mail addresses.
* NIK (16 digits, as one run, 4-4-4-4 or 2.2.2.6.4), when the digits are shaped like a NIK
  (a province code, a birth day 01-31 or 41-71 for women, a month) or "NIK", "KTP", "no KK"
  is near; a 16-digit order or tracking number next to "pesanan", "resi", "invoice"... is left.
* Bank account numbers: runs of 8 to 18 digits when a bank word ("rekening", "rek", "norek",
  "BCA", "BRI", "BNI", "Mandiri", "BSI", "transfer", "VA"...) stands just before or right after.
  A bare long number without such a word is not an account: order numbers and resi stay.
* Never: prices ("Rp 150.000", "Rp 1.250.000", "150rb"), weights and sizes ("1.500 gram",
  "30x20x10"), times and dates ("08.30", "08-12-1990"), postcodes, resi such as "JP1234567890"
  or "004123456789", Shopee/Tokopedia order codes.

Masks are labels in square brackets ("[nomor HP]"), so staff see what kind of data was there;
masking is idempotent (a masked text has nothing left to mask).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final

PHONE: Final = "[nomor HP]"
EMAIL: Final = "[email]"
ACCOUNT: Final = "[nomor rekening]"
NIK: Final = "[NIK]"
LABELS: Final = {"phone": PHONE, "email": EMAIL, "account": ACCOUNT, "nik": NIK}

# One separator between digit groups: space (also no-break space), dot or dash.
_SEP: Final = r"[ \u00a0.\-]"

_EMAIL: Final = re.compile(
    r"(?<![\w.%+-])[\w.%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}(?![\w-])"
)
_MOBILE: Final = re.compile(
    # The country code (and the 0 people add after it anyway: "+62 0812"), or the trunk 0.
    rf"(?<![\w+])(?:(?:\(\+?62\)|\+62|62)(?:{_SEP}?0)?|0)"
    # 8xx, then groups of two or more digits: a lone digit after a space is a quantity.
    rf"{_SEP}?8\d{{1,4}}(?:{_SEP}?\d{{2,5}}){{1,5}}(?![\w])"
)
_LANDLINE: Final = re.compile(
    r"(?<![\w+])(?:"
    rf"(?:\(\+62\)|\+62){_SEP}?\(?[2-79]\d{{1,2}}\)?"  # +62 21 / +62 (274)
    r"|\(0[2-79]\d{1,2}\)"  # (021)
    rf"|0[2-79]\d{{1,2}}(?={_SEP})"  # 021- / 0274 (the area code must stand apart)
    rf")(?:{_SEP}?\d{{2,4}}){{1,3}}(?![\w])"
)
_NIK: Final = re.compile(
    r"(?<![\w])(?:\d{16}"
    rf"|\d{{4}}({_SEP})\d{{4}}\1\d{{4}}\1\d{{4}}"
    rf"|\d{{2}}({_SEP})\d{{2}}\2\d{{2}}\2\d{{6}}\2\d{{4}})(?![\w])"
)
_DIGIT_RUN: Final = re.compile(rf"(?<![\w,])\d+(?:{_SEP}\d+)*(?![\w])")

# Province codes as Dukcapil assigns them (the first two digits of a NIK).
_PROVINCES: Final = frozenset(
    {
        *(11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 31, 32, 33, 34, 35, 36, 51, 52, 53),
        *(61, 62, 63, 64, 65, 71, 72, 73, 74, 75, 76, 81, 82, 91, 92, 93, 94, 95, 96, 97),
    }
)

_BANK_WORDS: Final = re.compile(
    r"\b(?:no\.?\s*rek(?:ening)?|norek|rek|rekening|bca|bri|bni|bsi|btn|mandiri|"
    r"cimb(?:\s*niaga)?|permata|danamon|jago|jenius|btpn|seabank|sea\s*bank|muamalat|ocbc|"
    r"maybank|panin|bjb|bank|va|virtual\s+account|transfer|trf|tf)\b\.?",
    re.IGNORECASE,
)
_PHONE_WORDS: Final = re.compile(
    r"\b(?:hp|wa|whatsapp|telp|telepon|tlp|telpon|nomor\s+hp|no\.?\s*hp|hubungi|kontak|dana|"
    r"ovo|gopay|shopeepay)\b",
    re.IGNORECASE,
)
# Not "kk" alone: sellers write it for "kakak".
_NIK_WORDS: Final = re.compile(
    r"\b(?:nik|ktp|e-?ktp|(?:no\.?|nomor)\s*kk|kartu\s+keluarga)\b", re.IGNORECASE
)
_NOT_PERSONAL_WORDS: Final = re.compile(
    r"\b(?:resi|awb|order|pesanan|invoice|inv|no\.?\s*pesanan|kode\s+booking|id\s+pesanan)\b",
    re.IGNORECASE,
)
_MONEY_BEFORE: Final = re.compile(r"(?:rp|idr)\.?\s*$", re.IGNORECASE)
_UNIT_AFTER: Final = re.compile(
    r"^\s*(?:(?:rb|ribu|jt|juta|k|gr|gram|g|kg|ons|ml|l|liter|cm|mm|m|pcs|buah|x)\b|%)",
    re.IGNORECASE,
)
_THOUSANDS: Final = re.compile(r"^\d{1,3}(?:[.,]\d{3})+$")
_DATE: Final = re.compile(r"^(?:\d{1,2}([-.])\d{1,2}\1\d{2,4}|\d{4}([-.])\d{1,2}\2\d{1,2})$")

BEFORE_WINDOW: Final = 30  # characters before a number searched for a context word
AFTER_WINDOW: Final = 14  # ... and after it ("1234567890 (BCA)")


@dataclass(frozen=True)
class Found:
    kind: str  # "phone", "email", "account", "nik"
    start: int
    end: int


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _before(text: str, start: int, window: int = BEFORE_WINDOW) -> str:
    head = text[max(0, start - window) : start]
    return head.rsplit("\n", 1)[-1]


def _after(text: str, end: int, window: int = AFTER_WINDOW) -> str:
    return text[end : end + window].split("\n", 1)[0]


def _near(pattern: re.Pattern[str], text: str, start: int, end: int) -> bool:
    return bool(pattern.search(_before(text, start)) or pattern.search(_after(text, end)))


def _nearest_word_distance(pattern: re.Pattern[str], text: str, start: int) -> int | None:
    """How far before `start` the last match of `pattern` ends (None: none in the window)."""
    head = _before(text, start)
    matches = list(pattern.finditer(head))
    return len(head) - matches[-1].end() if matches else None


# --- phone numbers --------------------------------------------------------------------------


def _national_number(span: str) -> str:
    """The digits after the country code or trunk 0 (a stray 0 after +62 dropped)."""
    digits = _digits(span)
    stripped = span.lstrip("(+ \u00a0")
    if stripped.startswith("62"):
        digits = digits[2:]
        return digits[1:] if digits.startswith("0") else digits
    return digits[1:] if digits.startswith("0") else digits


def _valid_mobile(span: str) -> bool:
    national = _national_number(span)
    return national.startswith("8") and 9 <= len(national) <= 12


def _valid_landline(span: str) -> bool:
    national = _national_number(span)
    return not national.startswith("8") and 8 <= len(national) <= 11


def _trimmed(text: str, start: int, span: str, valid: Callable[[str], bool]) -> str | None:
    """The longest prefix of `span` made of whole digit groups that is `valid` and not followed
    by a unit: a greedy match may have swallowed a quantity ("0812 3456 7890 25 pcs")."""
    while span:
        if valid(span) and not _UNIT_AFTER.match(text[start + len(span) : start + len(span) + 8]):
            return span
        cut = max(span.rfind(c) for c in " \u00a0.-")
        if cut <= 0:
            return None
        span = span[:cut]
    return None


def _scan(
    pattern: re.Pattern[str], text: str, valid: Callable[[str], bool]
) -> Iterator[tuple[int, int]]:
    position = 0
    while (match := pattern.search(text, position)) is not None:
        kept = _trimmed(text, match.start(), match.group(), valid)
        if kept is None:
            position = match.start() + 1
            continue
        yield match.start(), match.start() + len(kept)
        position = match.start() + len(kept)


def _phones(text: str) -> Iterator[Found]:
    for start, end in _scan(_MOBILE, text, _valid_mobile):
        yield Found("phone", start, end)
    for start, end in _scan(_LANDLINE, text, _valid_landline):
        yield Found("phone", start, end)


# --- NIK and bank accounts ------------------------------------------------------------------


def looks_like_nik(digits: str) -> bool:
    """Sixteen digits shaped like a NIK: province, regency, district, birth date (day + 40 for
    women), then a sequence number that is not 0000."""
    if len(digits) != 16 or int(digits[:2]) not in _PROVINCES:
        return False
    day, month = int(digits[6:8]), int(digits[8:10])
    return (1 <= day <= 31 or 41 <= day <= 71) and 1 <= month <= 12 and digits[12:] != "0000"


def _niks(text: str) -> Iterator[Found]:
    for match in _NIK.finditer(text):
        start, end = match.span()
        named = _near(_NIK_WORDS, text, start, end)
        shaped = looks_like_nik(_digits(match.group()))
        if named or (shaped and not _near(_NOT_PERSONAL_WORDS, text, start, end)):
            yield Found("nik", start, end)


def _is_amount_or_date(text: str, start: int, end: int, span: str) -> bool:
    return bool(
        _MONEY_BEFORE.search(text[max(0, start - 5) : start])
        or _UNIT_AFTER.match(text[end : end + 8])
        or _THOUSANDS.match(span)
        or _DATE.match(span)
    )


def _accounts(text: str) -> Iterator[Found]:
    for match in _DIGIT_RUN.finditer(text):
        start, end = match.span()
        span = match.group()
        if not 8 <= len(_digits(span)) <= 18 or _is_amount_or_date(text, start, end, span):
            continue
        bank = _nearest_word_distance(_BANK_WORDS, text, start)
        after = _BANK_WORDS.search(_after(text, end))
        if bank is None and after is None:
            continue
        other = _nearest_word_distance(_NOT_PERSONAL_WORDS, text, start)
        if other is not None and (bank is None or other < bank):
            continue  # "resi JNE 1234567890, transfer via BCA": the resi is nearer
        phone = _nearest_word_distance(_PHONE_WORDS, text, start)
        if phone is not None and (bank is None or phone < bank) and _valid_mobile(span):
            continue  # "WA 0812..., bayar via BCA": a phone number, masked as one
        yield Found("account", start, end)


# --- putting it together --------------------------------------------------------------------


def find(text: str) -> list[Found]:
    """Personal data in `text`, left to right, without overlaps. When two detectors claim the
    same characters the earlier kind in this order wins: e-mail, NIK, bank account, phone."""
    taken: list[Found] = []
    for found in (
        *(Found("email", *m.span()) for m in _EMAIL.finditer(text)),
        *_niks(text),
        *_accounts(text),
        *_phones(text),
    ):
        if all(found.end <= t.start or found.start >= t.end for t in taken):
            taken.append(found)
    return sorted(taken, key=lambda f: f.start)


def mask(text: str) -> str:
    """`text` with every phone number, e-mail address, bank account number and NIK replaced by
    a label. Idempotent."""
    if not text or not any(c.isdigit() or c == "@" for c in text):
        return text
    parts: list[str] = []
    position = 0
    for found in find(text):
        parts += [text[position : found.start], LABELS[found.kind]]
        position = found.end
    parts.append(text[position:])
    return "".join(parts)


def mask_optional(text: str | None) -> str | None:
    return None if text is None else mask(text)


def mask_entities(entities: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    """NLU entities with their extracted text masked too (their offsets still refer to the text
    Rasa read, which was not masked)."""
    if not entities:
        return entities
    masked = []
    for entity in entities:
        copy = dict(entity)
        for key in ("value", "text"):
            if isinstance(copy.get(key), str):
                copy[key] = mask(copy[key])
        masked.append(copy)
    return masked
