"""Security of the support pages (inbox, conversation, handoff queue, annotations, exports):
login and roles on every route, CSRF on every POST, hostile text rendered harmlessly, SQL
injection attempts answered normally. Real ASGI app, real migrated database (SQLite and
PostgreSQL)."""

from __future__ import annotations

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from bot.db.models import Message, NluAnnotation, Role, Seller, StaffNote
from tests.desk.conversations import (
    SQLI,
    XSS_IMG,
    XSS_SCRIPT,
    Seeded,
    seed_conversations,
    seed_hostile,
)
from tests.desk.support import login, make_staff, session_csrf

ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"
ESCAPED_IMG = "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"


@pytest.fixture
def seeded(sessions: sessionmaker[Session]) -> Seeded:
    return seed_conversations(sessions)


def new_routes(seeded: Seeded) -> list[tuple[str, str]]:
    s, m = seeded.budi, seeded.budi_fallback
    return [
        ("GET", "/kotak-masuk"),
        ("GET", f"/percakapan/{s}"),
        ("POST", f"/percakapan/{s}/ditinjau"),
        ("POST", f"/percakapan/{s}/belum-ditinjau"),
        ("POST", f"/percakapan/{s}/catatan"),
        ("POST", f"/percakapan/{s}/pesan/{m}/anotasi"),
        ("POST", f"/percakapan/{s}/balas"),
        ("POST", f"/percakapan/{s}/kembalikan"),
        ("GET", "/perlu-ditangani"),
        ("GET", "/anotasi"),
        ("POST", "/anotasi/ekspor"),
        ("POST", "/anotasi/1/hapus"),
        ("GET", f"/ekspor/percakapan/{s}.csv"),
        ("GET", f"/ekspor/percakapan/{s}.jsonl"),
        ("GET", "/ekspor/kotak-masuk.csv"),
        ("GET", "/ekspor/kotak-masuk.jsonl"),
    ]


def nothing_changed(sessions: sessionmaker[Session], seeded: Seeded) -> None:
    with sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(StaffNote)) == 0
        assert session.scalar(sa.select(sa.func.count()).select_from(NluAnnotation)) == 0
        budi = session.get_one(Seller, seeded.budi)
        assert budi.handoff_state == "requested"
        assert budi.reviewed_message_id is None


async def test_every_support_route_needs_a_login(
    client: httpx.AsyncClient, sessions: sessionmaker[Session], seeded: Seeded
) -> None:
    for method, path in new_routes(seeded):
        page = await client.request(method, path, headers={"accept": "text/html"})
        assert page.status_code == 303, (method, path)
        assert page.headers["location"].startswith("/masuk"), (method, path)
        htmx = await client.request(method, path, headers={"HX-Request": "true"})
        assert htmx.status_code == 401, (method, path)
        assert htmx.headers["HX-Redirect"] == "/masuk"
    # The link in the support chat's notice survives the login.
    first = await client.get(f"/percakapan/{seeded.budi}")
    assert first.headers["location"] == f"/masuk?next=%2Fpercakapan%2F{seeded.budi}"
    nothing_changed(sessions, seeded)


async def test_trainers_get_403_on_every_support_route(
    client: httpx.AsyncClient, sessions: sessionmaker[Session], seeded: Seeded
) -> None:
    make_staff(sessions, "tari", 301, Role.TRAINER)
    await login(client, "tari")
    token = session_csrf((await client.get("/laporan-siaran")).text)
    for method, path in new_routes(seeded):
        response = await client.request(
            method,
            path,
            data={"csrf_token": token, "teks": "x", "intent": "sapa"} if method == "POST" else None,
        )
        assert response.status_code == 403, (method, path)
        assert "bukan untuk peran Anda" in response.text, (method, path)
    nothing_changed(sessions, seeded)


async def test_support_posts_need_the_csrf_token(
    client: httpx.AsyncClient, sessions: sessionmaker[Session], seeded: Seeded
) -> None:
    make_staff(sessions, "dina", 202, Role.SUPPORT)
    await login(client, "dina")
    token = session_csrf((await client.get("/kotak-masuk")).text)
    for method, path in new_routes(seeded):
        if method != "POST":
            continue
        data = {"teks": "catatan", "intent": "sapa", "sampai": "999"}
        missing = await client.post(path, data=data)
        assert missing.status_code == 403, path
        assert "token keamanan (CSRF)" in missing.text
        wrong = await client.post(path, data={**data, "csrf_token": token[:-2] + "xx"})
        assert wrong.status_code == 403, path
    nothing_changed(sessions, seeded)


async def test_hostile_text_is_rendered_as_text_everywhere(
    client: httpx.AsyncClient, sessions: sessionmaker[Session], seeded: Seeded
) -> None:
    hostile = seed_hostile(sessions)
    with sessions.begin() as session:
        seller = session.get_one(Seller, hostile)
        seller.handoff_state, seller.handoff_at = "requested", seeded.now
    make_staff(sessions, "dina", 202, Role.SUPPORT)
    await login(client, "dina")
    conversation = f"/percakapan/{hostile}"
    token = session_csrf((await client.get(conversation)).text)
    note = await client.post(
        conversation + "/catatan", data={"csrf_token": token, "teks": XSS_SCRIPT + XSS_IMG}
    )
    assert note.status_code == 303
    with sessions() as session:
        message_id = session.scalars(
            sa.select(Message.id).where(Message.seller_id == hostile).order_by(Message.id)
        ).first()
    annotated = await client.post(
        f"{conversation}/pesan/{message_id}/anotasi",
        data={"csrf_token": token, "intent": "sapa", "contoh": f"halo {XSS_IMG}"},
    )
    assert annotated.status_code == 303

    pages = {
        "inbox": await client.get("/kotak-masuk"),
        "search": await client.get("/kotak-masuk", params={"cari": XSS_SCRIPT}),
        "search-img": await client.get(
            "/kotak-masuk", params={"cari": XSS_IMG, "penjual": XSS_IMG}
        ),
        "htmx": await client.get(
            "/kotak-masuk", params={"cari": XSS_IMG}, headers={"HX-Request": "true"}
        ),
        "conversation": await client.get(conversation),
        "queue": await client.get("/perlu-ditangani"),
        "annotations": await client.get("/anotasi"),
        "note error": await client.post(
            conversation + "/catatan", data={"csrf_token": token, "teks": XSS_IMG + "x" * 4000}
        ),
    }
    for name, page in pages.items():
        assert page.status_code in (200, 400), name
        assert XSS_SCRIPT not in page.text, name
        assert "<img src=x" not in page.text, name
        assert "onerror=alert(1)>" not in page.text, name
    assert ESCAPED_SCRIPT in pages["inbox"].text
    assert ESCAPED_SCRIPT in pages["conversation"].text
    assert ESCAPED_IMG in pages["conversation"].text  # message, note and annotation
    assert pages["conversation"].text.count(ESCAPED_IMG) >= 3
    assert ESCAPED_SCRIPT in pages["queue"].text
    assert ESCAPED_IMG in pages["annotations"].text
    assert ESCAPED_SCRIPT in pages["search"].text  # the search box keeps the query, escaped
    assert ESCAPED_IMG in pages["search-img"].text
    assert ESCAPED_IMG in pages["note error"].text


@pytest.mark.parametrize(
    "payload",
    [
        SQLI,
        "' OR '1'='1",
        '" OR 1=1 --',
        "1; SELECT * FROM staff_accounts",
        "%' UNION SELECT username, password_hash FROM staff_accounts --",
        'NEAR(a b) OR * "',
        "\\%_",
    ],
)
async def test_injection_attempts_in_search_are_just_text(
    client: httpx.AsyncClient, sessions: sessionmaker[Session], seeded: Seeded, payload: str
) -> None:
    seed_hostile(sessions)
    make_staff(sessions, "dina", 202, Role.SUPPORT)
    await login(client, "dina")
    for params in ({"cari": payload}, {"penjual": payload}, {"cari": payload, "penjual": payload}):
        page = await client.get("/kotak-masuk", params=params)
        assert page.status_code == 200, params
        assert "percakapan" in page.text
        assert "$argon2" not in page.text
        export = await client.get("/ekspor/kotak-masuk.csv", params=params)
        assert export.status_code == 200
    # Every table is still there and whole.
    with sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Seller)) == 7
        assert (session.scalar(sa.select(sa.func.count()).select_from(Message)) or 0) > 10
    everything = await client.get("/kotak-masuk")
    assert "7 percakapan" in everything.text
    if payload == SQLI:  # a seller really wrote it: found like any other words
        found = await client.get("/kotak-masuk", params={"cari": payload})
        assert "1 percakapan" in found.text


@pytest.mark.parametrize("huge", [2**31, 2**63, 10**30])
async def test_ids_beyond_the_id_columns_are_refused_not_sql_errors(
    client: httpx.AsyncClient, sessions: sessionmaker[Session], seeded: Seeded, huge: int
) -> None:
    """PostgreSQL refuses a query parameter outside an INTEGER column's range ("integer out of
    range", SQLite from 2**63): an id no row can have is a 422 like any malformed id."""
    make_staff(sessions, "dina", 202, Role.SUPPORT)
    await login(client, "dina")
    token = session_csrf((await client.get("/kotak-masuk")).text)
    s, m = seeded.budi, seeded.budi_fallback
    paths = [
        ("GET", f"/percakapan/{huge}"),
        ("POST", f"/percakapan/{huge}/ditinjau"),
        ("POST", f"/percakapan/{huge}/belum-ditinjau"),
        ("POST", f"/percakapan/{huge}/catatan"),
        ("POST", f"/percakapan/{huge}/pesan/{m}/anotasi"),
        ("POST", f"/percakapan/{s}/pesan/{huge}/anotasi"),
        ("POST", f"/percakapan/{huge}/balas"),
        ("POST", f"/percakapan/{huge}/kembalikan"),
        ("POST", f"/anotasi/{huge}/hapus"),
        ("GET", f"/ekspor/percakapan/{huge}.csv"),
        ("GET", f"/ekspor/percakapan/{huge}.jsonl"),
    ]
    data = {"csrf_token": token, "teks": "x", "intent": "sapa", "sampai": "1"}
    for method, path in paths:
        response = await client.request(method, path, data=data if method == "POST" else None)
        assert response.status_code == 422, (method, path, response.status_code)
    reviewed = await client.post(
        f"/percakapan/{s}/ditinjau", data={"csrf_token": token, "sampai": str(huge)}
    )
    assert reviewed.status_code == 422
    nothing_changed(sessions, seeded)
    # The seller filter looks the number up only in the columns whose range it fits.
    assert (await client.get("/kotak-masuk", params={"penjual": str(huge)})).status_code == 200
