"""A topic answer as the seller reads it: the right platform variant, chat-sized, with sources.

Rasa's NLG would render `utter_tanya_cod/paket_ditolak` itself, but then the action could not
split a long answer or show where its facts come from. So the action renders the answer from
the domain Rasa sends with every request:

- **Variant**: the first variation whose conditions all hold for the current slots (the
  seller's platform), else the one without a condition: the rule Rasa's own NLG applies.
- **Chat-sized**: the first bubble is as many whole lines as fit in FIRST_BUBBLE_CHARS (a
  phone screen); the rest waits behind "Selengkapnya". A first line longer than that is cut at
  its last sentence end. Short answers are sent whole.
- **Sources**: `metadata.sumber` of the variation, else of the first variation (domain/, see
  docs/panduan-konten.md), shown on "📎 Sumber" with publisher, title, date, link and when it
  was checked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

FIRST_BUBBLE_CHARS: Final = 400
_MONTHS: Final = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)
SOURCES_INTRO: Final = "📎 Sumber jawaban ini:"
SOURCES_OUTRO: Final = (
    "Aturan, biaya dan menu platform bisa berubah. Kalau ragu, cek lagi di sumbernya ya, Kak."
)
NO_SOURCES: Final = (
    "Jawaban ini berisi saran umum, Kak, tanpa angka atau aturan yang perlu dikutip. "
    "Panduan terbarunya ada di pusat edukasi penjual platform Kakak."
)


@dataclass(frozen=True)
class Source:
    publisher: str
    title: str
    url: str | None
    published: str | None
    checked: str | None


def _matches(variation: Mapping[str, Any], slots: Mapping[str, Any]) -> bool:
    conditions = variation.get("condition") or []
    return bool(conditions) and all(
        c.get("type") == "slot" and slots.get(str(c.get("name"))) == c.get("value")
        for c in conditions
    )


def variation_for(
    variations: Sequence[Mapping[str, Any]], slots: Mapping[str, Any]
) -> Mapping[str, Any] | None:
    """The variation Rasa would send: a matching conditional one first, else the default."""
    for variation in variations:
        if _matches(variation, slots):
            return variation
    for variation in variations:
        if not variation.get("condition"):
            return variation
    return None


def split_for_chat(text: str, limit: int = FIRST_BUBBLE_CHARS) -> tuple[str, str]:
    """(first bubble, rest); rest is "" when the whole text fits."""
    text = text.strip()
    if len(text) <= limit:
        return text, ""
    lines = text.split("\n")
    first: list[str] = []
    for line in lines:
        candidate = "\n".join([*first, line])
        if len(candidate) > limit:
            break
        first.append(line)
    if first:
        return "\n".join(first).strip(), "\n".join(lines[len(first) :]).strip()
    head = lines[0][:limit]
    cut = head.rfind(". ")
    cut = cut + 1 if cut > limit // 3 else head.rfind(" ")
    rest = "\n".join([lines[0][cut:].strip(), *lines[1:]])
    return lines[0][:cut].strip(), rest.strip()


def sources_of(
    variations: Sequence[Mapping[str, Any]], variation: Mapping[str, Any] | None
) -> list[Source]:
    """The variation's own sources, else the default variation's."""
    default = variation_for(variations, {})
    for candidate in (variation, default):
        raw = ((candidate or {}).get("metadata") or {}).get("sumber")
        if isinstance(raw, list) and raw:
            return [
                Source(
                    publisher=str(item.get("penerbit") or "").strip(),
                    title=str(item.get("judul") or "").strip(),
                    url=str(item["url"]).strip() if item.get("url") else None,
                    published=str(item["tanggal"]) if item.get("tanggal") else None,
                    checked=str(item["dicek"]) if item.get("dicek") else None,
                )
                for item in raw
                if isinstance(item, Mapping)
            ]
    return []


def indonesian_date(value: str) -> str:
    """ "2025-09-24" -> "24 September 2025", "2026-11" -> "November 2026", "2019" as is."""
    parts = value.strip().split("-")
    try:
        if len(parts) == 3:
            return f"{int(parts[2])} {_MONTHS[int(parts[1]) - 1]} {parts[0]}"
        if len(parts) == 2:
            return f"{_MONTHS[int(parts[1]) - 1]} {parts[0]}"
    except (ValueError, IndexError):
        return value
    return value


def sources_text(sources: Sequence[Source]) -> str:
    if not sources:
        return NO_SOURCES
    lines = [SOURCES_INTRO]
    for source in sources:
        line = f"• {source.publisher}: {source.title}"
        if source.published:
            line += f" ({indonesian_date(source.published)})"
        if source.url:
            line += f"\n  {source.url}"
        lines.append(line)
    checked = sorted({s.checked for s in sources if s.checked})
    if checked:
        lines.append(f"Dicek terakhir: {indonesian_date(checked[-1])}.")
    lines.append(SOURCES_OUTRO)
    return "\n".join(lines)
