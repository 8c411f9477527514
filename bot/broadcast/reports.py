"""What the trainer sees while a broadcast runs: one progress message edited in place, then a
final report. Texts only; the sender decides when to send them."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from bot.broadcast.outbox import Report
from bot.formatting import duration, number
from bot.rendering import Button

BAR_WIDTH: Final = 10


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{number(float(value))} pesan/detik"


def _counts(report: Report) -> str:
    c = report.counts
    return (
        f"Terkirim {number(c.get('sent', 0))} · Diblokir {number(c.get('blocked', 0))} · "
        f"Gagal {number(c.get('failed', 0))} · Berhenti langganan "
        f"{number(c.get('opted_out', 0))}"
    )


def progress_text(report: Report, now: datetime) -> str:
    c = report.counts
    done = report.total - c.get("pending", 0) - c.get("sending", 0)
    share = done / report.total if report.total else 1.0
    filled = round(share * BAR_WIDTH)
    elapsed = (now - report.started_at).total_seconds() if report.started_at else None
    rate = c.get("sent", 0) / elapsed if elapsed else None
    return (
        f"📣 Siaran #{report.broadcast_id} sedang dikirim\n"
        f"{'▓' * filled}{'░' * (BAR_WIDTH - filled)} {share:.0%} "
        f"({number(done)}/{number(report.total)})\n"
        f"{_counts(report)}\n"
        f"Kecepatan: {_rate(rate)}"
    )


def stop_button(broadcast_id: int) -> Button:
    return Button("⛔ Hentikan siaran", f"s:stop:{broadcast_id}")


def final_text(report: Report) -> str:
    c = report.counts
    head = (
        f"✅ Siaran #{report.broadcast_id} selesai."
        if report.status == "done"
        else f"⛔ Siaran #{report.broadcast_id} dihentikan."
    )
    lines = [
        head,
        f"• Total penerima: {number(report.total)}",
        f"• Terkirim: {number(c.get('sent', 0))}",
        f"• Diblokir (penjual memblokir bot): {number(c.get('blocked', 0))}",
        f"• Gagal: {number(c.get('failed', 0))}",
        f"• Berhenti langganan (/berhenti): {number(c.get('opted_out', 0))}",
    ]
    if c.get("skipped"):
        lines.append(f"• Dilewati (pelajarannya sudah selesai): {number(c['skipped'])}")
    if c.get("cancelled"):
        lines.append(f"• Tidak jadi dikirim: {number(c['cancelled'])}")
    lines += [
        f"• Durasi: {duration(report.duration_s)}",
        f"• Kecepatan rata-rata: {_rate(report.rate)}",
    ]
    return "\n".join(lines)
