"""The support pages through httpx against the real ASGI app and a real migrated database
(SQLite and PostgreSQL): inbox filters, pages and counts, the conversation view and its actions
(review, notes, annotations), the handoff queue, the NLU export button and the transcript
exports."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from bot.db.models import (
    AuditEntry,
    Message,
    NluAnnotation,
    Role,
    Seller,
    StaffAccount,
    StaffNote,
    utcnow,
)
from bot.desk.app import create_app
from bot.desk.inbox_query import WIB
from bot.desk.state import DeskConfig
from bot.stack import PROJECT_ROOT
from bot.support.export import FILE_NAME
from tests.desk.conftest import client_for
from tests.desk.conversations import Seeded, seed_conversations, seed_many
from tests.desk.support import login, make_staff, session_csrf
from tests.support_db import add_incoming, add_outgoing, add_seller

SELLER_ROW = re.compile(r'<a class="row-link" href="/percakapan/(\d+)">')


def listed(html: str) -> list[int]:
    return [int(n) for n in SELLER_ROW.findall(html)]


def audits(sessions: sessionmaker[Session], action: str) -> list[AuditEntry]:
    with sessions() as session:
        return list(
            session.scalars(
                sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )


@pytest.fixture
def seeded(sessions: sessionmaker[Session]) -> Seeded:
    return seed_conversations(sessions)


@pytest.fixture
async def dina(client: httpx.AsyncClient, sessions: sessionmaker[Session]) -> int:
    """Support staff member `dina`, signed in on `client`; returns the account id."""
    account_id = make_staff(sessions, "dina", 202, Role.SUPPORT)
    await login(client, "dina")
    return account_id


async def csrf_of(client: httpx.AsyncClient, path: str) -> str:
    return session_csrf((await client.get(path)).text)


# --- inbox ---------------------------------------------------------------------------------------


async def test_inbox_lists_conversations_with_badges_and_counts(
    client: httpx.AsyncClient, sessions: sessionmaker[Session], seeded: Seeded, dina: int
) -> None:
    page = await client.get("/kotak-masuk")
    assert page.status_code == 200
    assert "6 percakapan" in page.text
    # Newest last message first.
    assert listed(page.text) == [
        seeded.budi,
        seeded.yusuf,
        seeded.agus,
        seeded.dewi,
        seeded.siti,
        seeded.rina,
    ]
    rows = page.text.split('<li class="conversation')[1:]
    budi, yusuf, agus, dewi, siti, rina = rows
    assert "Budi Santoso" in budi and "@budi_kopi_gayo" in budi
    assert "resinya JNE 0123 4567 8910" in budi  # the latest message's snippet
    assert "minta dibantu tim" in budi and "fallback" in budi and "belum ditinjau" in budi
    assert "diambil alih staf" in yusuf and "minta dibantu tim" not in yusuf
    # The handoff filter says it covers both.
    assert "ditangani tim (diminta atau diambil alih)" in page.text
    assert "👎" in siti and "fallback" not in siti
    assert "belum ditinjau" not in dewi and "belum ditinjau" not in rina
    assert "fallback" in agus
    when = (seeded.now - timedelta(hours=2, minutes=35)).astimezone(WIB)
    assert f"{when:%H.%M} WIB" in budi
    [view] = audits(sessions, "view")
    assert (view.target_type, view.target_id) == ("page", "kotak-masuk")
    assert view.detail == {"halaman": 1, "saringan": {}}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"jempol_bawah": "1"}, ["siti"]),
        ({"fallback": "1"}, ["budi", "agus"]),
        ({"yakin_rendah": "1"}, ["budi", "agus", "siti"]),
        ({"perlu_ditangani": "1"}, ["budi", "yusuf"]),
        ({"tinjauan": "sudah"}, ["dewi", "rina"]),
        ({"tinjauan": "belum"}, ["budi", "yusuf", "agus", "siti"]),
        ({"intent": "tanya_ongkir"}, ["dewi", "siti"]),
        ({"penjual": "@rina.hij"}, ["rina"]),
        ({"penjual": "santoso"}, ["budi"]),
        ({"cari": "medan"}, ["budi"]),
        ({"cari": "COD"}, ["siti"]),
        ({"cari": "ongkir", "intent": "tanya_ongkir"}, ["siti"]),
        ({"intent": "bukan_intent"}, ["budi", "yusuf", "agus", "dewi", "siti", "rina"]),
    ],
)
async def test_inbox_filters(
    client: httpx.AsyncClient,
    seeded: Seeded,
    dina: int,
    params: dict[str, str],
    expected: list[str],
) -> None:
    page = await client.get("/kotak-masuk", params=params)
    assert page.status_code == 200
    assert listed(page.text) == [getattr(seeded, name) for name in expected]
    assert f"{len(expected)} percakapan" in page.text


# WIB midnight is 17:00 UTC: seeding at fixed times on both sides of it (and just after UTC
# midnight) keeps the date filter's test independent of the hour the suite happens to run.
FIXED_NOWS = [
    datetime(2026, 12, 7, 0, 30, tzinfo=UTC),
    datetime(2026, 12, 7, 16, 59, tzinfo=UTC),
    datetime(2026, 12, 7, 17, 1, tzinfo=UTC),
    datetime(2026, 12, 7, 23, 59, tzinfo=UTC),
]


@pytest.mark.parametrize("now", FIXED_NOWS, ids=lambda now: f"{now:%H%M}UTC")
async def test_inbox_date_range_is_in_wib_days(
    client: httpx.AsyncClient, sessions: sessionmaker[Session], dina: int, now: datetime
) -> None:
    seeded = seed_conversations(sessions, now=now)
    day = (seeded.now - timedelta(days=4)).astimezone(WIB).date()
    page = await client.get("/kotak-masuk", params={"dari": str(day), "sampai": str(day)})
    assert listed(page.text) == [seeded.rina]
    empty = await client.get("/kotak-masuk", params={"dari": "", "sampai": "", "cari": ""})
    assert "6 percakapan" in empty.text  # empty fields are no filter
    bad = await client.get("/kotak-masuk", params={"dari": "kemarin"})
    assert bad.status_code == 200
    assert "Tanggal awal tidak valid" in bad.text
    assert "6 percakapan" in bad.text


async def test_inbox_pages_keep_the_filters_and_htmx_gets_the_list_only(
    client: httpx.AsyncClient, sessions: sessionmaker[Session], dina: int
) -> None:
    seed_many(sessions, 30)
    first = await client.get("/kotak-masuk", params={"intent": "sapa"})
    assert "30 percakapan" in first.text
    assert len(listed(first.text)) == 25
    assert "Halaman 1 dari 2" in first.text
    assert 'href="/kotak-masuk?intent=sapa&amp;halaman=2"' in first.text
    fragment = await client.get(
        "/kotak-masuk", params={"intent": "sapa", "halaman": 2}, headers={"HX-Request": "true"}
    )
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<div id="daftar"')
    assert "<html" not in fragment.text
    assert len(listed(fragment.text)) == 5
    assert "Halaman 2 dari 2" in fragment.text
    # A history restore gets the whole page.
    restore = await client.get(
        "/kotak-masuk",
        params={"halaman": 2},
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "<html" in restore.text


# --- one conversation ----------------------------------------------------------------------------


async def test_conversation_shows_every_message_with_its_nlu_reading(
    client: httpx.AsyncClient, sessions: sessionmaker[Session], seeded: Seeded, dina: int
) -> None:
    page = await client.get(f"/percakapan/{seeded.siti}")
    assert page.status_code == 200
    text = page.text
    assert "Siti Rahmawati" in text and "@siti_batik" in text
    assert "kak cara aktifin cod di shopee gmn ya" in text
    assert '<code>tanya_cod</code> · keyakinan <span class="">91%</span>' in text
    assert '<span class="low">48%</span>' in text
    assert "<code>platform</code> = shopee" in text
    assert "👎 kurang membantu" in text
    assert "COD (bayar di tempat) diaktifkan" in text  # the answer given
    assert text.count("Asisten</strong>") == 2
    asked = (seeded.now - timedelta(days=2, hours=3)).astimezone(WIB)
    assert f"{asked:%H.%M} WIB" in text
    assert "Tandai sudah ditinjau" in text
    assert "Asisten otomatis sedang melayani penjual ini." in text
    assert "mengambil alih chat ini" in text  # replying outside a handoff is explained
    # Annotation choices: topics as their sub-questions only.
    assert '<option value="tanya_cod/aktifkan">' in text
    assert '<option value="tanya_cod">' not in text
    [view] = audits(sessions, "view")
    assert (view.target_type, view.target_id, view.account_id) == ("seller", str(seeded.siti), dina)
    assert (await client.get("/percakapan/99999")).status_code == 404


async def test_staff_replies_show_their_author(
    client: httpx.AsyncClient, sessions: sessionmaker[Session], seeded: Seeded, dina: int
) -> None:
    with sessions.begin() as session:
        reply = session.scalars(
            sa.select(Message).where(Message.seller_id == seeded.yusuf, Message.direction == "out")
        ).one()
        reply.sent_by_account_id = dina
    page = await client.get(f"/percakapan/{seeded.yusuf}")
    assert "Staf · dina" in page.text
    assert "Chat ini diambil alih staf sejak" in page.text
    assert (
        '<span class="badge badge-handoff"' in page.text and "diambil alih staf</span>" in page.text
    )
    # Waiting counts from his answer to the takeover reply, not from the takeover.
    assert "Menunggu balasan <strong>5 jam 20 menit</strong>" in page.text
    assert "Kembalikan ke bot" in page.text


async def test_mark_reviewed_and_back(
    client: httpx.AsyncClient, sessions: sessionmaker[Session], seeded: Seeded, dina: int
) -> None:
    token = await csrf_of(client, f"/percakapan/{seeded.siti}")
    with sessions() as session:
        last_seen = session.scalar(
            sa.select(sa.func.max(Message.id)).where(Message.seller_id == seeded.siti)
        )
    done = await client.post(
        f"/percakapan/{seeded.siti}/ditinjau", data={"csrf_token": token, "sampai": last_seen}
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/percakapan/{seeded.siti}?info=ditinjau"
    page = await client.get(done.headers["location"])
    assert "Percakapan ditandai sudah ditinjau." in page.text
    assert "Tandai belum ditinjau" in page.text
    inbox = await client.get("/kotak-masuk", params={"tinjauan": "sudah"})
    assert seeded.siti in listed(inbox.text)

    undone = await client.post(
        f"/percakapan/{seeded.siti}/belum-ditinjau", headers={"X-CSRF-Token": token}
    )
    assert undone.status_code == 303
    inbox = await client.get("/kotak-masuk", params={"tinjauan": "belum"})
    assert seeded.siti in listed(inbox.text)
    assert [(a.action, a.detail) for a in audits(sessions, "review")] == [
        ("review", {"sampai_pesan": last_seen})
    ]
    assert len(audits(sessions, "unreview")) == 1


async def test_notes_are_added_listed_and_checked(
    client: httpx.AsyncClient, sessions: sessionmaker[Session], seeded: Seeded, dina: int
) -> None:
    path = f"/percakapan/{seeded.budi}"
    token = await csrf_of(client, path)
    saved = await client.post(
        path + "/catatan", data={"csrf_token": token, "teks": "Cek resi JNE dulu, lalu balas."}
    )
    assert saved.status_code == 303
    page = await client.get(saved.headers["location"])
    assert "Catatan internal disimpan." in page.text
    assert "Cek resi JNE dulu, lalu balas." in page.text
    assert "dina ·" in page.text

    empty = await client.post(path + "/catatan", data={"csrf_token": token, "teks": "   "})
    assert empty.status_code == 400
    assert "Catatan kosong" in empty.text
    long = "x" * 4001
    too_long = await client.post(path + "/catatan", data={"csrf_token": token, "teks": long})
    assert too_long.status_code == 400
    assert "paling banyak 4.000 karakter" in too_long.text
    assert long in too_long.text  # what was typed is kept
    # htmx gets the page (to swap <main>) with status 200, so it swaps it in.
    htmx = await client.post(
        path + "/catatan", data={"teks": ""}, headers={"X-CSRF-Token": token, "HX-Request": "true"}
    )
    assert htmx.status_code == 200 and "Catatan kosong" in htmx.text
    with sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(StaffNote)) == 1
    [note] = audits(sessions, "note")
    assert note.target_id == str(seeded.budi) and note.account_id == dina
    assert "Cek resi" not in json.dumps(note.detail)


async def test_annotating_a_seller_message(
    client: httpx.AsyncClient, sessions: sessionmaker[Session], seeded: Seeded, dina: int
) -> None:
    base = f"/percakapan/{seeded.budi}/pesan/{seeded.budi_fallback}/anotasi"
    token = await csrf_of(client, f"/percakapan/{seeded.budi}")
    kept = await client.post(
        base, data={"csrf_token": token, "intent": "tanya_retur_komplain/paket_hilang_rusak"}
    )
    assert kept.status_code == 303
    assert kept.headers["location"].endswith(f"?info=anotasi#pesan-{seeded.budi_fallback}")
    rewritten = await client.post(
        base,
        data={
            "csrf_token": token,
            "intent": "tanya_retur_komplain/paket_hilang_rusak",
            "contoh": "  paket saya belum sampai   sudah 5 hari ",
        },
    )
    assert rewritten.status_code == 303
    # The second annotation of the message replaces the pending first one.
    assert rewritten.headers["location"].endswith(
        f"?info=anotasi-diganti#pesan-{seeded.budi_fallback}"
    )
    page = await client.get(rewritten.headers["location"])
    assert "Anotasi diganti" in page.text
    assert "“paket saya belum sampai sudah 5 hari”" in page.text
    assert "“paket sy ke medan blm sampai 5 hari gmn nih”" not in page.text
    assert "menunggu ekspor" in page.text
    assert "Ganti anotasi</button>" in page.text  # the form says it replaces

    bare_topic = await client.post(base, data={"csrf_token": token, "intent": "tanya_cod"})
    assert bare_topic.status_code == 400
    assert "Pilih intent yang benar" in bare_topic.text
    too_long = await client.post(
        base, data={"csrf_token": token, "intent": "sapa", "contoh": "kak " * 200}
    )
    assert too_long.status_code == 400 and "paling banyak 500 karakter" in too_long.text
    # Another seller's message, or one of the bot's, cannot be annotated from here.
    other = await client.post(
        f"/percakapan/{seeded.siti}/pesan/{seeded.budi_fallback}/anotasi",
        data={"csrf_token": token, "intent": "sapa"},
    )
    assert other.status_code == 404
    with sessions() as session:
        rows = session.scalars(sa.select(NluAnnotation).order_by(NluAnnotation.id)).all()
        assert [(a.intent, a.example, a.account_id) for a in rows] == [
            (
                "tanya_retur_komplain/paket_hilang_rusak",
                "paket saya belum sampai sudah 5 hari",
                dina,
            ),
        ]
        [kept_id] = [a.id for a in rows]
        outgoing = session.scalar(
            sa.select(Message.id).where(
                Message.seller_id == seeded.budi, Message.direction == "out"
            )
        )
    bot_message = await client.post(
        f"/percakapan/{seeded.budi}/pesan/{outgoing}/anotasi",
        data={"csrf_token": token, "intent": "sapa"},
    )
    assert bot_message.status_code == 404
    annotated = audits(sessions, "annotate")
    assert [a.target_id for a in annotated] == [str(seeded.budi_fallback)] * 2
    first, second = (a.detail for a in annotated)
    assert first is not None and first["intent"] == "tanya_retur_komplain/paket_hilang_rusak"
    assert second == {
        "intent": "tanya_retur_komplain/paket_hilang_rusak",
        "anotasi": kept_id,
        "menggantikan": [first["anotasi"]],
    }
    assert first["anotasi"] != kept_id


# --- the handoff queue ---------------------------------------------------------------------------


async def test_handoff_queue_oldest_first_with_waiting_time(
    client: httpx.AsyncClient, sessions: sessionmaker[Session], seeded: Seeded, dina: int
) -> None:
    page = await client.get("/perlu-ditangani")
    assert page.status_code == 200
    assert "2 penjual dalam penanganan</strong>, 2 menunggu balasan" in page.text
    rows = page.text.split("<tbody>", 1)[1].split("</tr>")[:-1]
    # Yusuf: taken over 5 h 50 min ago, waiting since his answer 5 h 20 min ago.
    assert f"/percakapan/{seeded.yusuf}#penanganan" in rows[0]
    assert "diambil alih staf" in rows[0]
    taken = (seeded.now - timedelta(hours=5, minutes=50)).astimezone(WIB)
    answered = (seeded.now - timedelta(hours=5, minutes=20)).astimezone(WIB)
    assert f"sejak {taken.day} " in rows[0] and f"{taken:%H.%M} WIB" in rows[0]
    assert "<strong>5 jam 20 menit</strong>" in rows[0] and f"{answered:%H.%M} WIB" in rows[0]
    assert "5 jam 50 menit" not in rows[0]
    assert f"/percakapan/{seeded.budi}#penanganan" in rows[1]
    assert "minta dibantu tim" in rows[1]
    assert "<strong>2 jam 40 menit</strong>" in rows[1]
    assert "resinya JNE 0123 4567 8910" in rows[1]
    assert "belum dibalas" in rows[1]
    [view] = audits(sessions, "view")
    assert view.target_id == "perlu-ditangani"

    # A staff reply answers Yusuf: he stays in the queue, last, with nothing waiting.
    with sessions.begin() as session:
        yusuf = session.get_one(Seller, seeded.yusuf)
        add_outgoing(session, yusuf, "Baik Kak, kami cek dulu", utcnow(), account_id=dina)
    page = await client.get("/perlu-ditangani")
    assert "2 penjual dalam penanganan</strong>, 1 menunggu balasan" in page.text
    rows = page.text.split("<tbody>", 1)[1].split("</tr>")[:-1]
    assert f"/percakapan/{seeded.budi}#" in rows[0]
    assert f"/percakapan/{seeded.yusuf}#" in rows[1] and "sudah dibalas" in rows[1]


async def test_empty_handoff_queue(client: httpx.AsyncClient, dina: int) -> None:
    page = await client.get("/perlu-ditangani")
    assert "0 penjual dalam penanganan" in page.text
    assert "Tidak ada penjual dalam penanganan tim" in page.text


# --- NLU annotations and their export ------------------------------------------------------------


@pytest.fixture
def nlu_dir(tmp_path: Path) -> Path:
    target = tmp_path / "nlu"
    shutil.copytree(PROJECT_ROOT / "nlu", target)
    (target / FILE_NAME).unlink(missing_ok=True)
    return target


@pytest.fixture
def export_app(database_url: str, nlu_dir: Path) -> Iterator[FastAPI]:
    desk = create_app(DeskConfig(database_url, secret_key=b"test-key", nlu_dir=nlu_dir))
    yield desk
    desk.state.desk.engine.dispose()


async def test_annotation_page_and_export_button(
    export_app: FastAPI, sessions: sessionmaker[Session], seeded: Seeded, nlu_dir: Path
) -> None:
    admin = make_staff(sessions, "sari", 101, Role.ADMIN)
    with sessions.begin() as session:
        for message_id, intent, example in [
            (
                seeded.budi_fallback,
                "tanya_retur_komplain/paket_hilang_rusak",
                "paket ke medan belum nyampe seminggu",
            ),
            # Two pending annotations of one message, as made before re-annotating replaced
            # them: only the latest is exported.
            (seeded.siti_question, "tanya_ongkir/cek_tarif", "cara aktifin cod di shopee"),
            (seeded.siti_question, "tanya_cod/aktifkan", "cara aktifin cod di shopee gmn ya"),
        ]:
            session.add(
                NluAnnotation(
                    message_id=message_id,
                    intent=intent,
                    example=example,
                    account_id=admin,
                    created_at=seeded.now,
                )
            )
    async with client_for(export_app) as client:
        await login(client, "sari")
        page = await client.get("/anotasi")
        assert page.status_code == 200
        assert "3 menunggu diekspor" in page.text
        assert "paket ke medan belum nyampe seminggu" in page.text
        assert f'href="/percakapan/{seeded.siti}#pesan-{seeded.siti_question}"' in page.text
        assert page.text.count(">Hapus</button>") == 3  # an admin may delete any of them
        token = session_csrf(page.text)
        done = await client.post("/anotasi/ekspor", data={"csrf_token": token})
        assert done.status_code == 200
        assert "2 contoh baru ditulis" in done.text
        assert "1 dilewati" in done.text
        assert "diganti anotasi yang lebih baru untuk pesan yang sama" in done.text
        assert "make train" in done.text and "commit" in done.text
        assert "0 menunggu diekspor" in done.text
        again = await client.post("/anotasi/ekspor", headers={"X-CSRF-Token": token})
        assert "0 contoh baru ditulis" in again.text
    written = (nlu_dir / FILE_NAME).read_text(encoding="utf-8")
    assert "- paket ke medan belum nyampe seminggu" in written
    assert "intent: tanya_cod/aktifkan" in written
    assert "tanya_ongkir" not in written
    exports = [a for a in audits(sessions, "export") if a.target_type == "annotation"]
    assert [a.detail for a in exports] == [
        {"ke": "nlu/dari_tinjauan.yml", "ditulis": 2, "dipindah": 0, "dilewati": {"replaced": 1}},
        {"ke": "nlu/dari_tinjauan.yml", "ditulis": 0, "dipindah": 0, "dilewati": {}},
    ]
    assert not (PROJECT_ROOT / "nlu" / FILE_NAME).exists() or "medan belum nyampe" not in (
        PROJECT_ROOT / "nlu" / FILE_NAME
    ).read_text(encoding="utf-8")


async def test_pending_annotations_can_be_deleted_by_their_author_or_an_admin(
    client: httpx.AsyncClient, sessions: sessionmaker[Session], seeded: Seeded, dina: int
) -> None:
    make_staff(sessions, "sari", 101, Role.ADMIN)
    with sessions.begin() as session:
        by_sari = NluAnnotation(
            message_id=seeded.siti_question,
            intent="tanya_cod/aktifkan",
            example="cara aktifin cod di shopee gmn ya",
            account_id=session.scalar(
                sa.select(StaffAccount.id).where(StaffAccount.username == "sari")
            ),
            created_at=seeded.now,
        )
        session.add(by_sari)
        session.flush()
        sari_annotation = by_sari.id
    conversation = f"/percakapan/{seeded.budi}"
    token = await csrf_of(client, conversation)
    await client.post(
        f"{conversation}/pesan/{seeded.budi_fallback}/anotasi",
        data={"csrf_token": token, "intent": "sapa", "contoh": "halo kak"},
    )
    with sessions() as session:
        own = session.scalars(
            sa.select(NluAnnotation.id).where(NluAnnotation.account_id == dina)
        ).one()

    # Dina may delete her own (the button is there), not Sari's (no button, and refused).
    page = await client.get("/anotasi")
    assert f'action="/anotasi/{own}/hapus"' in page.text
    assert f'action="/anotasi/{sari_annotation}/hapus"' not in page.text
    siti_page = await client.get(f"/percakapan/{seeded.siti}")
    assert f'action="/anotasi/{sari_annotation}/hapus"' not in siti_page.text
    assert "Pesan ini sudah punya anotasi dari sari yang menunggu ekspor" in siti_page.text
    refused = await client.post(f"/anotasi/{sari_annotation}/hapus", data={"csrf_token": token})
    assert refused.status_code == 403 and "Hanya pembuat anotasi atau admin" in refused.text
    htmx = await client.post(
        f"/anotasi/{sari_annotation}/hapus",
        headers={"X-CSRF-Token": token, "HX-Request": "true"},
    )
    assert htmx.status_code == 403
    assert htmx.json() == {"detail": "Hanya pembuat anotasi atau admin yang bisa menghapusnya."}
    # Replacing Sari's is refused the same way.
    replaced = await client.post(
        f"/percakapan/{seeded.siti}/pesan/{seeded.siti_question}/anotasi",
        data={"csrf_token": token, "intent": "sapa"},
    )
    assert replaced.status_code == 400 and "Hanya pembuatnya atau admin" in replaced.text
    # No CSRF token, no deletion.
    assert (await client.post(f"/anotasi/{own}/hapus")).status_code == 403

    conversation_page = await client.get(conversation)
    assert f'action="/anotasi/{own}/hapus"' in conversation_page.text
    deleted = await client.post(
        f"/anotasi/{own}/hapus", data={"csrf_token": token, "kembali": "percakapan"}
    )
    assert deleted.status_code == 303
    assert deleted.headers["location"] == (
        f"{conversation}?info=anotasi-dihapus#pesan-{seeded.budi_fallback}"
    )
    after = await client.get(deleted.headers["location"])
    assert "Anotasi dihapus." in after.text and "“halo kak”" not in after.text
    assert (
        await client.post(f"/anotasi/{own}/hapus", data={"csrf_token": token})
    ).status_code == 404

    # An admin may delete anyone's; an exported one stays.
    async with client_for(client._transport.app) as admin:  # type: ignore[attr-defined]
        await login(admin, "sari")
        admin_token = await csrf_of(admin, "/anotasi")
        with sessions.begin() as session:
            session.get_one(NluAnnotation, sari_annotation).exported_at = utcnow()
        kept = await admin.post(
            f"/anotasi/{sari_annotation}/hapus", data={"csrf_token": admin_token}
        )
        assert kept.headers["location"] == "/anotasi?info=sudah-diekspor"
        assert "sudah diekspor ke data latih" in (await admin.get(kept.headers["location"])).text
    with sessions() as session:
        assert session.get(NluAnnotation, sari_annotation) is not None
        assert session.scalar(sa.select(sa.func.count()).select_from(NluAnnotation)) == 1
    [removal] = audits(sessions, "delete_annotation")
    assert (removal.account_id, removal.target_type, removal.target_id) == (
        dina,
        "annotation",
        str(own),
    )
    assert removal.detail == {"intent": "sapa", "pesan": seeded.budi_fallback}


# --- exports -------------------------------------------------------------------------------------


def read_csv(response: httpx.Response) -> list[dict[str, str]]:
    assert response.content.startswith("\ufeff".encode())  # BOM, so Excel reads UTF-8
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


async def test_conversation_export_csv_and_jsonl(
    client: httpx.AsyncClient, sessions: sessionmaker[Session], seeded: Seeded, dina: int
) -> None:
    response = await client.get(f"/ekspor/percakapan/{seeded.siti}.csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith(f'attachment; filename="percakapan-{seeded.siti}-')
    assert disposition.endswith('.csv"')
    rows = read_csv(response)
    assert [r["arah"] for r in rows] == ["masuk", "keluar", "masuk", "keluar"]
    first = rows[0]
    assert first["penjual"] == "Siti Rahmawati" and first["username"] == "siti_batik"
    assert first["teks"] == "kak cara aktifin cod di shopee gmn ya"
    assert (first["intent"], first["keyakinan"], first["penilaian"]) == ("tanya_cod", "0.91", "👎")
    asked = (seeded.now - timedelta(days=2, hours=3)).astimezone(WIB)
    assert first["waktu_wib"] == f"{asked:%Y-%m-%d %H:%M:%S}"
    assert json.loads(rows[2]["entitas"]) == [{"entity": "platform", "value": "shopee"}]
    assert rows[1]["membalas_pesan"] == first["pesan"]

    lines = await client.get(f"/ekspor/percakapan/{seeded.siti}.jsonl")
    assert lines.headers["content-type"] == "application/x-ndjson"
    assert lines.headers["content-disposition"].endswith('.jsonl"')
    records = [json.loads(line) for line in lines.text.splitlines()]
    assert len(records) == 4
    assert records[0]["teks"] == first["teks"] and records[0]["keyakinan"] == 0.91
    assert records[2]["entitas"] == [{"entity": "platform", "value": "shopee"}]

    assert (await client.get("/ekspor/percakapan/99999.csv")).status_code == 404
    assert (await client.get(f"/ekspor/percakapan/{seeded.siti}.xlsx")).status_code == 422
    assert [(a.target_id, a.detail) for a in audits(sessions, "export")] == [
        (str(seeded.siti), {"format": "csv"}),
        (str(seeded.siti), {"format": "jsonl"}),
    ]


async def test_inbox_export_uses_the_filters_and_is_audited_with_them(
    client: httpx.AsyncClient, sessions: sessionmaker[Session], seeded: Seeded, dina: int
) -> None:
    page = await client.get("/kotak-masuk", params={"perlu_ditangani": "1", "cari": "JNE"})
    assert listed(page.text) == [seeded.budi]
    assert 'href="/ekspor/kotak-masuk.csv?cari=JNE&amp;perlu_ditangani=1"' in page.text
    response = await client.get(
        "/ekspor/kotak-masuk.csv", params={"perlu_ditangani": "1", "cari": "JNE"}
    )
    assert response.headers["content-disposition"].startswith('attachment; filename="kotak-masuk-')
    rows = read_csv(response)
    assert {r["percakapan"] for r in rows} == {str(seeded.budi)}
    assert len(rows) == 5  # the whole conversation, not only the matching message
    everything = await client.get("/ekspor/kotak-masuk.jsonl")
    records = [json.loads(line) for line in everything.text.splitlines()]
    assert len({r["percakapan"] for r in records}) == 6
    assert records[0]["percakapan"] == seeded.budi  # the inbox's order
    exported = [a for a in audits(sessions, "export") if a.target_id == "kotak-masuk"]
    assert [a.detail for a in exported] == [
        {"format": "csv", "saringan": {"cari": "JNE", "perlu_ditangani": "1"}},
        {"format": "jsonl", "saringan": {}},
    ]


async def test_csv_cells_never_become_formulas(
    client: httpx.AsyncClient, sessions: sessionmaker[Session], dina: int
) -> None:
    with sessions.begin() as session:
        seller = add_seller(session, 7100, "=cmd|' /C calc'!A0", username=None)
        for text in ("=1+1", "+62 812", "-2+3", "@SUM(A1)", "\tTAB", "biasa saja"):
            add_incoming(session, seller, text, utcnow())
        seller_id = seller.id
    rows = read_csv(await client.get(f"/ekspor/percakapan/{seller_id}.csv"))
    assert [r["teks"] for r in rows] == [
        "'=1+1",
        "'+62 812",
        "'-2+3",
        "'@SUM(A1)",
        "'\tTAB",
        "biasa saja",
    ]
    assert rows[0]["penjual"] == "'=cmd|' /C calc'!A0"
    jsonl = await client.get(f"/ekspor/percakapan/{seller_id}.jsonl")
    assert json.loads(jsonl.text.splitlines()[0])["teks"] == "=1+1"  # data for programs: as is
