"""Times as trainers write and read them: Indonesia's three zones, no daylight saving.

"2026-12-01 09:00 WIB" or "01-12-2026 09.00 WITA" (zone optional, WIB by default), stored in UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Final

ZONES: Final = {
    "WIB": timezone(timedelta(hours=7), "WIB"),
    "WITA": timezone(timedelta(hours=8), "WITA"),
    "WIT": timezone(timedelta(hours=9), "WIT"),
}
MONTHS: Final = (
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
DAYS: Final = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
_WHEN: Final = re.compile(
    r"^\s*(?:(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})|(?P<d2>\d{1,2})[-/](?P<m2>\d{1,2})[-/](?P<y2>\d{4}))"
    r"\s+(?:pukul\s+|jam\s+)?(?P<hh>\d{1,2})[.:](?P<mm>\d{2})\s*(?P<zone>WIB|WITA|WIT)?\s*$",
    re.IGNORECASE,
)
EXAMPLE: Final = "2026-12-01 09:00 WIB"


def parse_when(text: str) -> datetime:
    """The moment `text` names, in UTC; ValueError (with an Indonesian message) if unreadable."""
    match = _WHEN.match(text or "")
    if match is None:
        raise ValueError(f"Waktunya belum terbaca. Contoh: {EXAMPLE} (WIB/WITA/WIT).")
    year = int(match["y"] or match["y2"])
    month = int(match["m"] or match["m2"])
    day = int(match["d"] or match["d2"])
    zone = ZONES[(match["zone"] or "WIB").upper()]
    try:
        local = datetime(year, month, day, int(match["hh"]), int(match["mm"]), tzinfo=zone)
    except ValueError:
        raise ValueError(f"Tanggal atau jamnya tidak ada di kalender. Contoh: {EXAMPLE}.") from None
    return local.astimezone(UTC)


def format_when(moment: datetime, zone: str = "WIB") -> str:
    """ "Selasa, 1 Desember 2026 pukul 09.00 WIB" """
    local = moment.astimezone(ZONES[zone])
    return (
        f"{DAYS[local.weekday()]}, {local.day} {MONTHS[local.month - 1]} {local.year} "
        f"pukul {local:%H.%M} {zone}"
    )


def format_when_everywhere(moment: datetime) -> str:
    """ "Selasa, 1 Desember 2026 pukul 09.00 WIB (10.00 WITA, 11.00 WIT)": trainers and
    sellers are spread over three zones, so a schedule reads right for everyone."""
    wita, wit = moment.astimezone(ZONES["WITA"]), moment.astimezone(ZONES["WIT"])
    return f"{format_when(moment)} ({wita:%H.%M} WITA, {wit:%H.%M} WIT)"
