"""Numbers and durations as Indonesians write them, for every text a person reads (bot replies,
trainer reports, the support desk): "1.234.567", "12,5", "3 menit 20 detik"."""

from __future__ import annotations


def number(value: int | float | None) -> str:
    """1234567 -> "1.234.567"; 12.5 -> "12,5"; None -> "-"."""
    if value is None:
        return "-"
    if isinstance(value, int):
        return f"{value:,}".replace(",", ".")
    return f"{value:,.1f}".replace(",", "_").replace(".", ",").replace("_", ".")


def duration(seconds: float | None) -> str:
    """ "45 detik", "3 menit 20 detik", "2 jam 5 menit"; None -> "-"."""
    if seconds is None:
        return "-"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} jam {minutes} menit"
    return f"{minutes} menit {secs} detik" if minutes else f"{secs} detik"
