"""The inbox's filter form as a query string, and back.

One `InboxQuery` is read from the GET parameters of /kotak-masuk and /ekspor/kotak-masuk.*, so
the list, its pages and its exports always use the same filters. Values are read leniently:
an empty field means "no filter" (HTML forms send `dari=` for an empty date), and a value that
makes no sense (a date that is not a date, an intent the domain does not know) is dropped with
a message for the page instead of an error page. Dates are calendar days in WIB, `sampai`
included.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Final
from urllib.parse import urlencode

from bot.broadcast.schedule import ZONES
from bot.support.inbox import DEFAULT_LOW_CONFIDENCE, InboxFilter, annotation_intents
from bot.support.search import MAX_QUERY_CHARS

WIB: Final = ZONES["WIB"]
MAX_SELLER_CHARS: Final = 100
FLAGS: Final = ("yakin_rendah", "fallback", "jempol_bawah", "perlu_ditangani")
REVIEW_CHOICES: Final = {"": "Semua", "belum": "Belum ditinjau", "sudah": "Sudah ditinjau"}
# The filters as the form names them (the audit page shows recorded filters with these).
FILTER_LABELS: Final = {
    "cari": "cari",
    "penjual": "penjual",
    "intent": "intent",
    "dari": "dari tanggal",
    "sampai": "sampai tanggal",
    "tinjauan": "tinjauan",
    "yakin_rendah": "keyakinan rendah",
    "fallback": "tidak dipahami",
    "jempol_bawah": "dinilai 👎",
    "perlu_ditangani": "ditangani tim",
}


@cache
def filter_intents() -> tuple[str, ...]:
    """Intents as messages store them: topics by name (`tanya_cod`, Rasa's retrieval intent),
    not by sub-question; `nlu_fallback` has its own checkbox."""
    return tuple(sorted({name.partition("/")[0] for name in annotation_intents()}))


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


@dataclass(frozen=True)
class InboxQuery:
    dari: date | None = None
    sampai: date | None = None
    penjual: str = ""
    intent: str = ""
    yakin_rendah: bool = False
    fallback: bool = False
    jempol_bawah: bool = False
    perlu_ditangani: bool = False
    tinjauan: str = ""  # "", "belum" or "sudah"
    cari: str = ""
    problems: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> InboxQuery:
        problems: list[str] = []

        def day(name: str, label: str) -> date | None:
            raw = params.get(name, "").strip()
            if not raw:
                return None
            found = _day(raw)
            if found is None:
                problems.append(f"Tanggal {label} tidak valid dan diabaikan.")
            return found

        dari, sampai = day("dari", "awal"), day("sampai", "akhir")
        if dari and sampai and sampai < dari:
            problems.append("Tanggal akhir lebih awal dari tanggal awal: tidak ada yang cocok.")
        intent = params.get("intent", "").strip()
        if intent and intent not in filter_intents():
            problems.append("Intent itu tidak dikenal dan diabaikan.")
            intent = ""
        tinjauan = params.get("tinjauan", "")
        return cls(
            dari=dari,
            sampai=sampai,
            penjual=params.get("penjual", "").strip()[:MAX_SELLER_CHARS],
            intent=intent,
            yakin_rendah=bool(params.get("yakin_rendah")),
            fallback=bool(params.get("fallback")),
            jempol_bawah=bool(params.get("jempol_bawah")),
            perlu_ditangani=bool(params.get("perlu_ditangani")),
            tinjauan=tinjauan if tinjauan in REVIEW_CHOICES else "",
            cari=params.get("cari", "").strip()[:MAX_QUERY_CHARS],
            problems=tuple(problems),
        )

    def to_filter(self) -> InboxFilter:
        since = datetime.combine(self.dari, time(), WIB) if self.dari else None
        until = (
            datetime.combine(self.sampai + timedelta(days=1), time(), WIB) if self.sampai else None
        )
        return InboxFilter(
            since=since,
            until=until,
            seller=self.penjual or None,
            intent=self.intent or None,
            low_confidence_below=DEFAULT_LOW_CONFIDENCE if self.yakin_rendah else None,
            fallback=self.fallback,
            negative_feedback=self.jempol_bawah,
            handoff=self.perlu_ditangani,
            reviewed={"belum": False, "sudah": True}.get(self.tinjauan),
            text=self.cari or None,
        )

    def params(self) -> dict[str, str]:
        """The filters in use, as query parameters (also what the audit log records)."""
        values = {
            "dari": self.dari.isoformat() if self.dari else "",
            "sampai": self.sampai.isoformat() if self.sampai else "",
            "penjual": self.penjual,
            "intent": self.intent,
            "tinjauan": self.tinjauan,
            "cari": self.cari,
        }
        values.update({flag: "1" for flag in FLAGS if getattr(self, flag)})
        return {key: value for key, value in values.items() if value}

    def query_string(self) -> str:
        return urlencode(self.params())

    @property
    def active(self) -> bool:
        return bool(self.params())


LOW_CONFIDENCE_PERCENT: Final = round(DEFAULT_LOW_CONFIDENCE * 100)
