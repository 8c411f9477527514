"""Chargeable shipping weight from what a seller typed ("1,5kg", "30x20x10 cm").

Couriers charge the greater of the actual weight and the volumetric weight
(length x width x height / divisor), rounded up to whole kilograms. 6000 (cm^3 per kg) is the
divisor most regular services use; some services use another one, and couriers round
differently (some allow a tolerance before rounding up), so the reply always says so and
points to the courier's own terms.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Final

DEFAULT_DIVISOR: Final = 6000
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


def explain(result: ChargeableWeight, dimensions: Dimensions, weight: Weight) -> str:
    """The seller-facing explanation, in short Indonesian sentences."""
    d = dimensions
    lines = [
        "Hitungan berat ongkirnya, Kak 📦",
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
    lines.append(
        f"Pembagi {result.divisor} umum dipakai layanan reguler. Ada layanan (misalnya kargo) "
        "yang memakai pembagi lain, jadi cek ketentuan kurir pilihan Kakak."
    )
    if result.volumetric_wins:
        lines.append("Tips: pakai kardus yang pas dengan barang supaya berat volumenya turun.")
    return "\n".join(lines)
