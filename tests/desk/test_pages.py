"""The desk's first pages: broadcast reports, the audit log, the menu and placeholders."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.db.models import AuditEntry, Broadcast, Role
from bot.desk.audit import audit, describe
from tests.desk.support import FIXED_START, login, make_staff, seed_broadcasts

TRAINER, OTHER_TRAINER = 301, 302


def menu(html: str) -> list[str]:
    nav = html.split('<nav class="menu"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r">([^<>]+)</a>", nav)


def rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r)).strip() for r in body.split("</tr>")][
        :-1
    ]


async def test_broadcast_reports_show_the_figures_and_escape_the_text(
    client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    make_staff(sessions, "dina", 202, Role.SUPPORT)
    seed_broadcasts(sessions, TRAINER, OTHER_TRAINER)
    await login(client, "dina")
    page = await client.get("/laporan-siaran")
    assert page.status_code == 200
    lines = rows(page.text)
    assert len(lines) == 3
    # Newest first: #3 (scheduled, nothing sent), #2 (sending), #1 (done).
    assert lines[0].startswith("3 ")
    assert "terjadwal" in lines[0]
    assert lines[1].startswith("2 Kelas COD minggu ini sedang dikirim")
    assert "3 1 0 0 0 2" in lines[1]  # total, sent, blocked, failed, opted out, waiting
    assert lines[2].startswith("1 Promo Harbolnas")
    assert "selesai" in lines[2]
    assert "10 9 1 0 0 0 4 detik 2,2/detik" in lines[2]
    assert "2 Nov 2026 09.00 WIB" in lines[2]
    # A broadcast text is shown as text, never as markup.
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in page.text


async def test_trainers_see_only_their_own_broadcasts(
    client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    make_staff(sessions, "tari", TRAINER, Role.TRAINER)
    seed_broadcasts(sessions, TRAINER, OTHER_TRAINER)
    await login(client, "tari")
    page = await client.get("/laporan-siaran")
    ids = [line.split()[0] for line in rows(page.text)]
    assert ids == ["3", "1"]
    assert "Siaran yang Anda buat" in page.text
    assert menu(page.text) == ["Laporan siaran"]


async def test_menu_follows_the_role(
    client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    make_staff(sessions, "sari", 101, Role.ADMIN)
    await login(client, "sari")
    page = await client.get("/kotak-masuk")
    assert menu(page.text) == [
        "Kotak masuk",
        "Perlu ditangani",
        "Anotasi NLU",
        "Analitik",
        "Laporan siaran",
        "Audit",
    ]
    assert 'aria-current="page">Kotak masuk' in page.text
    assert "Segera hadir" not in page.text
    assert "sari" in page.text and "admin" in page.text


async def test_audit_log_is_paginated_and_viewing_it_is_audited(
    client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    admin_id = make_staff(sessions, "sari", 101, Role.ADMIN)
    with sessions.begin() as session:
        for n in range(60):
            audit(session, admin_id, "view", "seller", n, {"ip": "127.0.0.1"})
    await login(client, "sari")
    first = await client.get("/audit")
    assert first.status_code == 200
    lines = rows(first.text)
    assert len(lines) == 50
    assert "masuk" in lines[0] and "akun" in lines[0]  # the login, newest first
    assert "Halaman 1 dari 2" in first.text
    assert 'href="/audit?halaman=2"' in first.text
    second = await client.get("/audit", params={"halaman": 2})
    assert "Halaman 2 dari 2" in second.text
    assert len(rows(second.text)) == 61 + 1 - 50  # 60 views, the login, the first page view
    assert (await client.get("/audit", params={"halaman": 0})).status_code == 422
    assert (await client.get("/audit", params={"halaman": "x' OR 1=1"})).status_code == 422
    with sessions() as session:
        views = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "view", AuditEntry.target_id == "audit")
        ).all()
    assert [v.detail for v in views] == [{"halaman": 1}, {"halaman": 2}]
    assert all(v.account_id == admin_id for v in views)


async def test_logout_page_and_home_redirect(
    client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    make_staff(sessions, "tari", TRAINER, Role.TRAINER)
    await login(client, "tari")
    assert (await client.get("/")).headers["location"] == "/laporan-siaran"
    page = await client.get("/keluar")
    assert page.status_code == 200
    assert "Keluar sekarang" in page.text


async def test_unknown_pages_get_an_indonesian_404(client: httpx.AsyncClient) -> None:
    page = await client.get("/tidak-ada", headers={"accept": "text/html"})
    assert page.status_code == 404
    assert "Halaman tidak ditemukan" in page.text
    assert (await client.get("/docs")).status_code == 404
    assert (await client.get("/openapi.json")).status_code == 404


async def test_siaran_broadcasts_show_their_first_line_as_plain_text(
    client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    """/siaran stores Telegram HTML: the report shows the text, not its tags or entities (and a
    tag that came from an entity, like "&lt;b&gt;", stays text, escaped)."""
    make_staff(sessions, "dina", 202, Role.SUPPORT)
    with sessions.begin() as session:
        session.add(
            Broadcast(
                created_by=TRAINER,
                text=(
                    '<b>Promo 12.12</b> &amp; <a href="https://akar.example/x">ongkir</a> '
                    "&lt;b&gt;gratis&lt;/b&gt; &quot;hari ini&quot;\nBaris kedua"
                ),
                parse_mode="HTML",
                segment={},
                status="scheduled",
                scheduled_at=FIXED_START,
            )
        )
        session.add(
            Broadcast(
                created_by=TRAINER,
                text="Tanpa HTML: <b> tetap teks",
                segment={},
                status="scheduled",
                scheduled_at=FIXED_START,
            )
        )
    await login(client, "dina")
    page = await client.get("/laporan-siaran")
    plain, html_one = (row.split("</td>", 2)[1] for row in page.text.split("<tr>")[2:4])
    assert html_one.strip() == (
        '<td class="text">Promo 12.12 &amp; ongkir &lt;b&gt;gratis&lt;/b&gt; &#34;hari ini&#34;'
    )
    assert plain.strip() == '<td class="text">Tanpa HTML: &lt;b&gt; tetap teks'
    assert "akar.example" not in page.text and "Baris kedua" not in page.text


def test_audit_details_read_in_indonesian() -> None:
    assert describe({"format": "csv", "saringan": {}}) == "format: CSV; saringan: tanpa saringan"
    assert describe(
        {
            "halaman": 2,
            "saringan": {
                "cari": "cod",
                "tinjauan": "belum",
                "jempol_bawah": "1",
                "perlu_ditangani": "1",
                "dari": "2026-11-01",
            },
        }
    ) == (
        "halaman: 2; saringan: cari: cod, tinjauan: belum ditinjau, dinilai 👎, ditangani tim, "
        "dari tanggal: 2026-11-01"
    )
    assert (
        describe({"pesan": 15, "status": "blocked"}) == "pesan: #15; status kirim: diblokir penjual"
    )
    assert describe({"intent": "sapa", "anotasi": 4, "menggantikan": [2, 3]}) == (
        "intent: sapa; anotasi: #4; menggantikan anotasi: #2, #3"
    )
    assert (
        describe(
            {
                "ke": "nlu/dari_tinjauan.yml",
                "ditulis": 2,
                "dipindah": 0,
                "dilewati": {"duplicate": 1},
            }
        )
        == "ke: nlu/dari_tinjauan.yml; contoh ditulis: 2; contoh dipindah: 0; dilewati: sudah ada 1"
    )
    assert describe({"dilewati": {}}) == "dilewati: tidak ada"
    assert describe({"sampai_pesan": 9, "catatan": 3}) == ("ditinjau sampai pesan: #9; catatan: #3")
    assert describe({"reason": "locked", "locked": True, "ip": "10.0.0.1"}) == (
        "sebab: akun sedang dikunci; akun dikunci; IP: 10.0.0.1"
    )
    assert describe({"something_new": "x"}) == "something_new: x"  # unknown: as stored


async def test_the_audit_page_shows_the_details_in_indonesian(
    client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    admin_id = make_staff(sessions, "sari", 101, Role.ADMIN)
    with sessions.begin() as session:
        audit(
            session,
            admin_id,
            "export",
            "page",
            "kotak-masuk",
            {"format": "jsonl", "saringan": {"fallback": "1", "intent": "tanya_cod"}},
        )
        audit(
            session, admin_id, "delete_annotation", "annotation", 7, {"intent": "sapa", "pesan": 3}
        )
    await login(client, "sari")
    lines = rows((await client.get("/audit")).text)
    assert any(
        "mengekspor halaman kotak-masuk format: JSONL; saringan: tidak dipahami, intent: tanya_cod"
        in line
        for line in lines
    )
    assert any("menghapus anotasi anotasi 7 intent: sapa; pesan: #3" in line for line in lines)
