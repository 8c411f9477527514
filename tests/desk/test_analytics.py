"""/analitik through the real ASGI app: roles, the date form, the figures in the tables and the
chart data beside them, escaping, and the vendored Chart.js."""

from __future__ import annotations

import hashlib
import html
import json
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.orm import Session, sessionmaker

from bot.db.models import (
    Broadcast,
    BroadcastDelivery,
    ContentLesson,
    ContentModule,
    LessonProgress,
    Role,
    utcnow,
)
from bot.desk.app import STATIC_DIR
from bot.learning import certificate
from bot.support import analytics
from tests.desk.support import login, make_staff
from tests.support_db import add_incoming, add_outgoing, add_seller, add_staff

NOV1, NOV2 = date(2026, 11, 1), date(2026, 11, 2)
RANGE = {"dari": "2026-11-01", "sampai": "2026-11-02"}
TITLE = "Ongkir & <Kurir> 'Hemat'"


def wib(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=analytics.WIB).astimezone(
        UTC
    )


def table(page: str, table_id: str) -> list[list[str]]:
    """The body rows of one table, each cell as text."""
    body = page.split(f'<table id="{table_id}">', 1)[1].split("</tbody>", 1)[0]
    body = body.split("<tbody>", 1)[1]
    rows = []
    for row in body.split("</tr>")[:-1]:
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        rows.append(
            [html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", c))).strip() for c in cells]
        )
    return rows


def chart(page: str, canvas_id: str) -> dict[str, Any]:
    match = re.search(rf"<canvas id=\"{canvas_id}\" data-chart='([^']*)'", page)
    assert match, canvas_id
    data: dict[str, Any] = json.loads(html.unescape(match.group(1)))
    return data


def seed(sessions: sessionmaker[Session]) -> None:
    """Two WIB days: questions, a fallback, a handoff and a staff reply, one module with a
    title full of markup characters, and a broadcast whose text is an XSS attempt."""
    with sessions.begin() as session:
        siti = add_seller(session, 8_200_000_001, "Siti")
        budi = add_seller(session, 8_200_000_002, "Budi")
        add_incoming(session, siti, "kak cod itu apa", wib(NOV1, 8), intent="tanya_cod")
        add_incoming(session, siti, "cod shopee gmn", wib(NOV1, 9), intent="tanya_cod")
        add_incoming(session, budi, "qwerty", wib(NOV1, 23, 59), intent="nlu_fallback")
        add_incoming(
            session,
            budi,
            "mau bicara dengan orang",
            wib(NOV2, 0, 0),
            intent="minta_bantuan_manusia",
            status="handoff_requested",
        )
        staff = add_staff(session, "rina-desk", 999).id
        add_outgoing(session, budi, "Halo Kak, saya bantu ya", wib(NOV2, 8), account_id=staff)
        module = ContentModule(key="ongkir", number=3, title=TITLE, topic="ongkir", summary="-")
        session.add(module)
        session.flush()
        lesson = ContentLesson(
            module_id=module.id,
            key="ongkir-1",
            position=1,
            title="Berat volume",
            minutes=5,
            parts=[],
            sources=[],
            fingerprint="-",
        )
        session.add(lesson)
        session.flush()
        for seller, done in ((siti, True), (budi, False)):
            session.add(
                LessonProgress(
                    seller_id=seller.id,
                    lesson_id=lesson.id,
                    started_at=wib(NOV1, 10),
                    completed_at=wib(NOV1, 11) if done else None,
                )
            )
        session.flush()
        certificate.issue(session, siti.id, module.id)
        broadcast = Broadcast(
            created_by=301,
            text="<script>alert('xss')</script> Promo 11.11",
            segment={},
            status="done",
            scheduled_at=wib(NOV1, 9),
            started_at=wib(NOV1, 9),
        )
        session.add(broadcast)
        session.flush()
        for seller, status in ((siti, "sent"), (budi, "blocked")):
            session.add(
                BroadcastDelivery(
                    broadcast_id=broadcast.id,
                    seller_id=seller.id,
                    chat_id=seller.chat_id,
                    status=status,
                )
            )


async def test_support_sees_the_figures_in_tables_and_charts(
    client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    make_staff(sessions, "dina", 202, Role.SUPPORT)
    seed(sessions)
    await login(client, "dina")
    page = await client.get("/analitik", params=RANGE)
    assert page.status_code == 200
    text = page.text
    assert "1 Nov 2026 – 2 Nov 2026 (2 hari" in text
    assert 'aria-current="page">Analitik' in text
    assert 'value="2026-11-01"' in text and 'value="2026-11-02"' in text

    assert table(text, "tabel-pertanyaan") == [["1 Nov 2026", "3", "3"], ["2 Nov 2026", "1", "1"]]
    assert table(text, "tabel-fallback") == [
        ["1 Nov 2026", "3", "1", "33,3%"],
        ["2 Nov 2026", "1", "0", "0,0%"],
    ]
    assert table(text, "tabel-intent") == [
        ["tanya_cod", "2", "50,0%"],
        ["minta_bantuan_manusia", "1", "25,0%"],
        ["nlu_fallback", "1", "25,0%"],
    ]
    assert table(text, "tabel-handoff") == [["1 Nov 2026", "0", "0"], ["2 Nov 2026", "1", "1"]]
    assert table(text, "tabel-modul") == [[f"Modul 3: {TITLE}", "1", "2", "1", "1", "50,0%"]]
    [line] = table(text, "tabel-siaran")
    assert line[0] == "#1 <script>alert('xss')</script> Promo 11.11"
    assert line[1:] == ["1 Nov 2026 09.00 WIB", "selesai", "2", "1", "1", "0", "0", "0", "0"]
    # Summary tiles.
    assert re.search(r'tile-value">25,0%</span><span class="tile-label">Tingkat fallback', text)

    # The charts carry the same figures.
    assert chart(text, "grafik-pertanyaan")["series"][0]["data"] == [3, 1]
    assert chart(text, "grafik-pertanyaan")["labels"] == ["1 Nov", "2 Nov"]
    assert chart(text, "grafik-fallback")["series"][0]["data"] == [33.3, 0.0]
    assert chart(text, "grafik-intent")["labels"] == [
        "tanya_cod",
        "minta_bantuan_manusia",
        "nlu_fallback",
    ]
    assert chart(text, "grafik-handoff")["series"][1]["data"] == [0, 1]
    funnel = chart(text, "grafik-modul")
    assert funnel["labels"] == [f"Modul 3: {TITLE}"]  # markup characters survive as text
    assert [s["data"] for s in funnel["series"]] == [[2], [1], [1]]
    deliveries = chart(text, "grafik-siaran")
    assert deliveries["labels"] == ["#1"] and deliveries["stacked"] is True
    assert [(s["label"], s["data"]) for s in deliveries["series"]] == [
        ("Terkirim", [1]),
        ("Diblokir", [1]),
    ]

    # Stored text is escaped everywhere; no inline script, only the static files.
    assert "<script>alert" not in text and "<Kurir>" not in text
    scripts = re.findall(r"<script[^>]*>", text)
    assert all(re.search(r'src="/static/[^"]+"', tag) for tag in scripts), scripts
    assert '<script src="/static/chart.umd.min.js" defer>' in scripts
    assert '<script src="/static/desk-charts.js" defer>' in scripts
    csp = page.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "style-src 'self';" in csp and "unsafe" not in csp


async def test_admin_sees_it_and_the_default_range_is_the_last_30_days(
    client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    make_staff(sessions, "sari", 101, Role.ADMIN)
    await login(client, "sari")
    page = await client.get("/analitik")
    assert page.status_code == 200
    today = analytics.today_wib(utcnow())
    first = today - timedelta(days=29)
    assert f'id="dari" name="dari" value="{first.isoformat()}"' in page.text
    assert f'id="sampai" name="sampai" value="{today.isoformat()}"' in page.text
    assert "(30 hari" in page.text
    assert len(table(page.text, "tabel-pertanyaan")) == 30
    assert "Belum ada pertanyaan yang diproses NLU" in page.text
    assert "Belum ada siaran yang dikirim" in page.text
    # Presets: the 30-day one is the current range.
    assert f'sampai={today.isoformat()}" aria-current="true">30 hari terakhir' in page.text
    assert "7 hari terakhir" in page.text and "90 hari terakhir" in page.text


async def test_bad_ranges_fall_back_to_the_default_with_a_message(
    client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    make_staff(sessions, "dina", 202, Role.SUPPORT)
    await login(client, "dina")
    cases = [
        ({"dari": "2026-11-05", "sampai": "2026-11-01"}, "Tanggal awal harus sebelum"),
        ({"dari": "2024-01-01", "sampai": "2026-11-01"}, "paling panjang 366 hari"),
        ({"dari": "kemarin", "sampai": "2026-11-01"}, "Tanggal tidak terbaca"),
        ({"dari": "2026-02-30"}, "Tanggal tidak terbaca"),
        ({"dari": "1' OR 1=1"}, "Tanggal tidak terbaca"),
    ]
    for params, message in cases:
        page = await client.get("/analitik", params=params)
        assert page.status_code == 200, params
        assert message in page.text, params
        assert 'role="alert"' in page.text
        assert "(30 hari" in page.text
    # Longer than a date is refused before the handler (and not echoed back).
    assert (await client.get("/analitik", params={"dari": "x" * 11})).status_code == 422
    # Only one end given: the other is filled in.
    only_end = await client.get("/analitik", params={"sampai": "2026-11-30"})
    assert 'value="2026-11-01"' in only_end.text and "(30 hari" in only_end.text


async def test_trainers_and_anonymous_visitors_are_turned_away(
    client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    assert (await client.get("/analitik")).headers["location"] == "/masuk?next=%2Fanalitik"
    make_staff(sessions, "tari", 301, Role.TRAINER)
    await login(client, "tari")
    page = await client.get("/analitik", params=RANGE)
    assert page.status_code == 403
    assert "Akses ditolak" in page.text


def test_vendored_chart_js_matches_its_licence_notice() -> None:
    notice = (STATIC_DIR / "chart.LICENSE.txt").read_text(encoding="utf-8")
    assert "MIT License" in notice
    version = re.search(r"chart\.js@([\d.]+)", notice)
    digest = re.search(r"\b([0-9a-f]{64})\b", notice)
    assert version and digest
    script = (STATIC_DIR / "chart.umd.min.js").read_bytes()
    assert hashlib.sha256(script).hexdigest() == digest.group(1)
    assert script.startswith(f"/*!\n * Chart.js v{version.group(1)}\n".encode())
