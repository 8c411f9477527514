"""Chargeable shipping weight from what a seller typed ("1,5kg", "30x20x10 cm").

Couriers charge the greater of the actual weight and the volumetric weight
(length x width x height / divisor), rounded up to whole kilograms. When the seller names a
courier whose divisor a source confirms (COURIER_DIVISORS), that divisor is used and named;
otherwise 6000 (cm^3 per kg), the divisor most regular services use, with a caveat. Couriers
also round differently (some allow a tolerance before rounding up), so the reply always says so
and points to the courier's own terms.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

DEFAULT_DIVISOR: Final = 6000
# Volumetric divisors (cm^3 per kg) of couriers whose divisor a source confirms. Sources: the
# project fact sheet (/work/shared/facts/factsheet.md, "2. Shipping costs", compiled Nov 2026):
#   JNE 6000            jnebrebes.blogspot.com (JNE agent, 2013); teknobgt.com
#   Pos Indonesia 6000  suryodiningratan.com (Pos Indonesia outlet)
#   J&T Cargo 5000      kurirpedia.com
# Not listed on purpose: J&T Express (divisor not confirmed), SiCepat and AnterAja (not found),
# and every other courier. Those get DEFAULT_DIVISOR and the "check the courier" caveat.
# Keys are the canonical `kurir` entity values (nlu/kurir.yml synonyms).
COURIER_DIVISORS: Final[Mapping[str, int]] = MappingProxyType(
    {"JNE": 6000, "Pos Indonesia": 6000, "J&T Cargo": 5000}
)
# The `kurir` entity may hold only "J&T" of "j&t cargo"; the word "cargo"/"kargo" in the
# message then means the cargo service.
JNT_EXPRESS: Final = "J&T Express"
JNT_CARGO: Final = "J&T Cargo"
_CARGO_WORD = re.compile(r"\b[ck]argo\b", re.IGNORECASE)
# Example tolerance shown to sellers as "misalnya": an excess up to this many kg over a whole
# kilogram is not rounded up. Couriers set their own; the reply labels it as an example.
EXAMPLE_TOLERANCE_KG: Final = 0.3
# A bare number ("1,5") is read as kilograms when small and as grams when large: nobody ships
# a 500 kg parcel through a marketplace, and nobody writes "2" meaning two grams.
BARE_NUMBER_GRAMS_FROM: Final = 100
MAX_PARCEL_KG: Final = 1000
MAX_SIDE_CM: Final = 1000

_NUMBER = r"\d+(?:[.,]\d+)?"
_WEIGHT = re.compile(
    rf"(?P<value>{_NUMBER})\s*(?P<unit>kilogram|kilo|kgs?|gram|grm|gr|g|ons)\b", re.IGNORECASE
)
# A number with no unit only counts when it is the whole answer (to "berapa beratnya?").
_BARE_NUMBER = re.compile(rf"^\s*(?P<value>{_NUMBER})\s*(?P<unit>)$")
_DIMENSIONS = re.compile(
    rf"(?P<a>{_NUMBER})\s*(?:cm)?\s*[x×*]\s*(?P<b>{_NUMBER})\s*(?:cm)?\s*[x×*]\s*"
    rf"(?P<c>{_NUMBER})\s*(?P<unit>cm|mm|m)?\b",
    re.IGNORECASE,
)
_LABELLED_DIMENSIONS = re.compile(
    rf"p\s*=?\s*(?P<a>{_NUMBER})\D{{0,6}}?l\s*=?\s*(?P<b>{_NUMBER})\D{{0,6}}?t\s*=?\s*(?P<c>{_NUMBER})",
    re.IGNORECASE,
)
_THREE_NUMBERS = re.compile(
    rf"^\s*(?P<a>{_NUMBER})\s+(?P<b>{_NUMBER})\s+(?P<c>{_NUMBER})\s*(cm)?\s*$"
)


def _number(text: str) -> float:
    return float(text.replace(",", "."))


@dataclass(frozen=True)
class Weight:
    kg: float
    assumed_unit: bool  # True when the seller gave no unit and we chose one


@dataclass(frozen=True)
class Dimensions:
    length_cm: float
    width_cm: float
    height_cm: float

    @property
    def volume_cm3(self) -> float:
        return self.length_cm * self.width_cm * self.height_cm


def parse_weight(text: str) -> Weight | None:
    """The first weight in `text`, or None. Dimensions ("30x20x10") are not weights."""
    cleaned = _DIMENSIONS.sub(" ", text or "")
    cleaned = _LABELLED_DIMENSIONS.sub(" ", cleaned)
    matches = list(_WEIGHT.finditer(cleaned)) or list(_BARE_NUMBER.finditer(cleaned))
    for match in matches:
        value = _number(match["value"])
        unit = (match["unit"] or "").lower()
        if unit in {"kilogram", "kilo", "kg", "kgs"}:
            kg = value
        elif unit in {"gram", "grm", "gr", "g"}:
            kg = value / 1000
        elif unit == "ons":
            kg = value / 10
        else:
            kg = value / 1000 if value >= BARE_NUMBER_GRAMS_FROM else value
        if 0 < kg <= MAX_PARCEL_KG:
            return Weight(kg=kg, assumed_unit=not unit)
    return None


def parse_dimensions(text: str) -> Dimensions | None:
    """Length x width x height in cm from "30x20x10 cm", "30*20*10", "p30 l20 t10" or "30 20 10"."""
    text = text or ""
    match = _DIMENSIONS.search(text) or _LABELLED_DIMENSIONS.search(text)
    if match is None:
        match = _THREE_NUMBERS.match(text)
    if match is None:
        return None
    unit = (match.groupdict().get("unit") or "cm").lower()
    factor = {"cm": 1.0, "mm": 0.1, "m": 100.0}[unit]
    sides = [_number(match[key]) * factor for key in ("a", "b", "c")]
    if not all(0 < side <= MAX_SIDE_CM for side in sides):
        return None
    return Dimensions(*sides)


@dataclass(frozen=True)
class Divisor:
    """The volumetric divisor for a calculation and the courier it belongs to."""

    value: int
    courier: str | None  # canonical courier name the seller gave, None when none was named
    confirmed: bool  # True when a source gives this courier's divisor (COURIER_DIVISORS)


def _canonical(courier: str) -> str:
    """The COURIER_DIVISORS / nlu synonym spelling of a courier, whatever its case."""
    wanted = courier.strip().casefold()
    for name in (*COURIER_DIVISORS, JNT_EXPRESS):
        if name.casefold() == wanted:
            return name
    return courier.strip()


def courier_divisor(couriers: Iterable[str], texts: Iterable[str] = ()) -> Divisor:
    """The divisor for the first courier named in `couriers` (`kurir` entity values).

    J&T with "cargo"/"kargo" in one of `texts` (the seller's messages) is J&T Cargo. A courier
    without a confirmed divisor, or no courier, gets DEFAULT_DIVISOR unconfirmed.
    """
    named = next((c for c in couriers if c and c.strip()), None)
    if named is None:
        return Divisor(DEFAULT_DIVISOR, None, confirmed=False)
    courier = _canonical(named)
    if courier.casefold() in {"j&t", JNT_EXPRESS.casefold()} and any(
        _CARGO_WORD.search(text or "") for text in texts
    ):
        courier = JNT_CARGO
    divisor = COURIER_DIVISORS.get(courier)
    if divisor is None:
        return Divisor(DEFAULT_DIVISOR, courier, confirmed=False)
    return Divisor(divisor, courier, confirmed=True)


def volumetric_kg(dimensions: Dimensions, divisor: int = DEFAULT_DIVISOR) -> float:
    return dimensions.volume_cm3 / divisor


def round_up_kg(kg: float, tolerance_kg: float = 0.0) -> int:
    """Whole kilograms as couriers bill them: at least 1 kg, an excess within the tolerance free."""
    whole = math.floor(kg)
    excess = kg - whole
    if excess <= tolerance_kg + 1e-9:
        return max(1, whole)
    return max(1, whole + 1)


@dataclass(frozen=True)
class ChargeableWeight:
    actual_kg: float
    volumetric_kg: float
    divisor: int

    @property
    def heavier_kg(self) -> float:
        return max(self.actual_kg, self.volumetric_kg)

    @property
    def volumetric_wins(self) -> bool:
        return self.volumetric_kg > self.actual_kg

    @property
    def billed_kg(self) -> int:
        return round_up_kg(self.heavier_kg)

    @property
    def billed_kg_with_example_tolerance(self) -> int:
        return round_up_kg(self.heavier_kg, EXAMPLE_TOLERANCE_KG)


def chargeable_weight(
    weight: Weight, dimensions: Dimensions, divisor: int = DEFAULT_DIVISOR
) -> ChargeableWeight:
    return ChargeableWeight(
        actual_kg=weight.kg, volumetric_kg=volumetric_kg(dimensions, divisor), divisor=divisor
    )


def format_number(value: float, decimals: int = 2) -> str:
    """Indonesian style: decimal comma, no trailing zeros ("1,5", "2", "0,75")."""
    text = f"{value:.{decimals}f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def divisor_note(divisor: Divisor) -> str:
    """Which divisor was used and why; a caveat whenever no source confirms it."""
    if divisor.confirmed:
        return (
            f"Menurut sumber yang saya punya, {divisor.courier} memakai pembagi {divisor.value} "
            "untuk berat volume. Ketentuannya bisa berubah, jadi cek juga di situs resmi "
            f"{divisor.courier}."
        )
    if divisor.courier:
        return (
            f"Pembagi berat volume {divisor.courier} belum bisa saya pastikan, jadi saya pakai "
            f"pembagi umum {divisor.value}. Ada layanan (misalnya kargo) yang memakai pembagi "
            f"lain, jadi cek ketentuan kurir {divisor.courier} untuk layanan yang Kakak pakai."
        )
    return (
        f"Pembagi {divisor.value} umum dipakai layanan reguler. Ada layanan (misalnya kargo) "
        "yang memakai pembagi lain, jadi cek ketentuan kurir pilihan Kakak. Tulis nama kurirnya "
        "bersama berat dan ukuran (misalnya: JNE 2 kg 30x20x10) supaya pembaginya saya "
        "sesuaikan."
    )


def explain(
    result: ChargeableWeight,
    dimensions: Dimensions,
    weight: Weight,
    divisor: Divisor | None = None,
) -> str:
    """The seller-facing explanation, in short Indonesian sentences."""
    divisor = divisor or Divisor(result.divisor, None, confirmed=False)
    d = dimensions
    lines = [
        f"Hitungan berat ongkir {divisor.courier}, Kak 📦"
        if divisor.courier
        else "Hitungan berat ongkirnya, Kak 📦",
        f"• Berat asli: {format_number(result.actual_kg)} kg"
        + (" (saya anggap satuannya begitu)" if weight.assumed_unit else ""),
        f"• Berat volume: {format_number(d.length_cm, 1)} × {format_number(d.width_cm, 1)} × "
        f"{format_number(d.height_cm, 1)} ÷ {result.divisor} = "
        f"{format_number(result.volumetric_kg)} kg",
        f"• Yang dipakai yang lebih besar: {format_number(result.heavier_kg)} kg "
        + ("(berat volume)." if result.volumetric_wins else "(berat asli)."),
        f"• Dibulatkan ke atas per kg: ditagih {result.billed_kg} kg.",
    ]
    if result.billed_kg_with_example_tolerance != result.billed_kg:
        lines.append(
            "Ada kurir yang memberi toleransi sebelum membulatkan ke atas (misalnya kelebihan "
            f"sampai {format_number(EXAMPLE_TOLERANCE_KG)} kg tidak dihitung), jadi bisa "
            f"saja ditagih {result.billed_kg_with_example_tolerance} kg."
        )
    lines.append(divisor_note(divisor))
    if result.volumetric_wins:
        lines.append("Tips: pakai kardus yang pas dengan barang supaya berat volumenya turun.")
    return "\n".join(lines)
