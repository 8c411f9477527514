"""/analitik: questions, top intents, fallback rate, handoffs, the module funnel and broadcast
delivery for a range of WIB days (default: the last 30), as charts and as tables.

Support and admins only. Trainers already have their broadcasts' figures on /laporan-siaran;
the rest of this page describes sellers' behaviour, which is support's business. The page shows
aggregates and trainers' broadcast texts, no seller's message or name, so viewing it is not
audited.

Charts: Chart.js (vendored, `static/chart.umd.min.js`) driven by `static/desk-charts.js`, which
reads each chart's data from its canvas's `data-chart` attribute (JSON built here); no inline
script, so the strict CSP stays as it is. Each chart has a table with the same figures under it
(screen readers, and the page still says everything without JavaScript).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Final

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import Response

from bot.broadcast.outbox import STATUS_NAMES
from bot.broadcast.schedule import MONTHS
from bot.db.models import utcnow
from bot.desk.auth import DeskStaff
from bot.desk.state import DbSession
from bot.desk.templating import render
from bot.support import analytics
from bot.support.analytics import Analytics, BroadcastDeliveryFigures, DateRange, InvalidRange

router = APIRouter()

PRESETS: Final = (7, 30, 90)
# Okabe-Ito colours (readable with colour blindness), the desk's teal first.
TEAL, ORANGE, SKY, VERMILLION, PURPLE, GREY, BLUE = (
    "#0f766e",
    "#e69f00",
    "#56b4e9",
    "#d55e00",
    "#cc79a7",
    "#8c8c8c",
    "#0072b2",
)
DELIVERY: Final = (
    ("sent", "Terkirim", TEAL),
    ("blocked", "Diblokir", VERMILLION),
    ("failed", "Gagal", ORANGE),
    ("opted_out", "Berhenti langganan", PURPLE),
    ("waiting", "Menunggu", SKY),
    ("other", "Dibatalkan/dilewati", GREY),
)

DateParam = Annotated[str | None, Query(max_length=10)]


def short_day(day: date) -> str:
    """ "2 Nov" """
    return f"{day.day} {MONTHS[day.month - 1][:3]}"


def long_day(day: date) -> str:
    """ "2 Nov 2026" """
    return f"{short_day(day)} {day.year}"


def _parse(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidRange("Tanggal tidak terbaca; pakai format TTTT-BB-HH.") from None


def resolve_range(dari: str | None, sampai: str | None, today: date) -> tuple[DateRange, str]:
    """The range asked for, or the default one and an Indonesian error message."""
    default = DateRange.last_days(analytics.DEFAULT_DAYS, today)
    try:
        first, last = _parse(dari), _parse(sampai)
        if first is None and last is None:
            return default, ""
        if last is None:
            last = max(first, today) if first is not None else today
        if first is None:
            first = last - (default.last - default.first)
        return DateRange(first, last), ""
    except InvalidRange as exc:
        return default, f"{exc} Ditampilkan {analytics.DEFAULT_DAYS} hari terakhir."


def delivery_count(figures: BroadcastDeliveryFigures, key: str) -> int:
    """A column of the delivery chart: a status, or the `waiting` / `other` groups."""
    if key == "waiting":
        return figures.waiting
    if key == "other":
        return figures.other
    return figures.count(key)


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def charts(data: Analytics) -> dict[str, dict[str, Any]]:
    """Each chart's spec for desk-charts.js: labels (and optional longer tooltip titles),
    series (label, data, colour, optional type), and how to draw (kind, stacked, horizontal,
    percent)."""
    days = [short_day(d.day) for d in data.days]
    delivery_series = [
        {"label": label, "color": colour, "data": [delivery_count(b, key) for b in data.broadcasts]}
        for key, label, colour in DELIVERY
    ]
    return {
        "questions": {
            "kind": "bar",
            "labels": days,
            "series": [
                {
                    "label": "Pertanyaan diketik",
                    "data": [d.questions for d in data.days],
                    "color": TEAL,
                },
                {
                    "label": "Semua pesan masuk",
                    "data": [d.incoming for d in data.days],
                    "color": ORANGE,
                    "type": "line",
                },
            ],
        },
        "intents": {
            "kind": "bar",
            "horizontal": True,
            "labels": [i.intent for i in data.intents.top],
            "series": [
                {"label": "Pesan", "data": [i.count for i in data.intents.top], "color": TEAL}
            ],
        },
        "fallback": {
            "kind": "line",
            "percent": True,
            "labels": days,
            "series": [
                {
                    "label": "Tingkat fallback",
                    "data": [_percent(d.fallbacks, d.nlu) for d in data.days],
                    "color": VERMILLION,
                }
            ],
        },
        "handoffs": {
            "kind": "bar",
            "labels": days,
            "series": [
                {
                    "label": "Permintaan bantuan manusia",
                    "data": [d.handoff_requests for d in data.days],
                    "color": VERMILLION,
                },
                {
                    "label": "Balasan staf",
                    "data": [d.staff_replies for d in data.days],
                    "color": BLUE,
                },
            ],
        },
        "funnel": {
            "kind": "bar",
            "horizontal": True,
            "labels": [f"Modul {m.number}: {m.title}" for m in data.modules],
            "series": [
                {"label": "Mulai", "data": [m.started for m in data.modules], "color": SKY},
                {
                    "label": "Selesai semua pelajaran",
                    "data": [m.finished for m in data.modules],
                    "color": TEAL,
                },
                {
                    "label": "Sertifikat terbit",
                    "data": [m.certified for m in data.modules],
                    "color": ORANGE,
                },
            ],
        },
        "broadcasts": {
            "kind": "bar",
            "stacked": True,
            "labels": [f"#{b.broadcast_id}" for b in data.broadcasts],
            "titles": [f"#{b.broadcast_id} {b.preview}" for b in data.broadcasts],
            "series": [s for s in delivery_series if any(s["data"])],
        },
    }


@router.get("/analitik")
def analytics_page(
    request: Request,
    db: DbSession,
    staff: DeskStaff,
    dari: DateParam = None,
    sampai: DateParam = None,
) -> Response:
    today = analytics.today_wib(utcnow())
    rng, error = resolve_range(dari, sampai, today)
    data = analytics.overview(db, rng)
    presets = [(n, DateRange.last_days(n, today)) for n in PRESETS]
    return render(
        request,
        "analitik.html",
        staff,
        data=data,
        rng=rng,
        error=error,
        presets=presets,
        charts=charts(data),
        short_day=short_day,
        long_day=long_day,
        percent=_percent,
        status_names=STATUS_NAMES,
        delivery=DELIVERY,
        delivery_count=delivery_count,
        funnel_started=sum(m.started for m in data.modules),
    )
