"""Support desk security, against the real ASGI app and a real migrated database (SQLite and
PostgreSQL): every route behind the login, roles, CSRF, lockout, session rotation, password
storage and logging, security headers."""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import inspect, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from bot.db.models import AuditEntry, Role, StaffAccount, StaffSession, utcnow
from bot.desk import accounts
from bot.desk.app import PUBLIC_PATHS, desk_routes
from bot.desk.auth import current_staff
from bot.desk.staff_sessions import COOKIE_NAME
from tests.desk.conftest import client_for
from tests.desk.support import PASSWORD, form_token, login, make_staff, session_csrf

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def protected_routes() -> list[tuple[str, str]]:
    """(method, path) of every route that must need a login; path parameters filled with 1."""
    found = []
    for route in desk_routes():
        if route.path not in PUBLIC_PATHS:
            path = route.path
            for name in route.param_convertors:
                path = path.replace("{" + name + "}", "1")
            found.extend((method, path) for method in sorted(route.methods))
    return found


def depends_on(dependant: object, target: object) -> bool:
    call = getattr(dependant, "call", None)
    if call is target:
        return True
    return any(depends_on(d, target) for d in getattr(dependant, "dependencies", []))


def test_every_non_public_route_depends_on_the_login() -> None:
    routes = desk_routes()
    assert {r.path for r in routes} >= {"/", "/keluar", "/laporan-siaran", "/audit"}
    missing = [
        r.path
        for r in routes
        if r.path not in PUBLIC_PATHS and not depends_on(r.dependant, current_staff)
    ]
    assert missing == []


async def test_every_route_without_login_redirects_or_answers_401(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    routes = protected_routes()
    assert len(routes) >= 8
    for method, path in routes:
        page = await client.request(method, path, headers={"accept": "text/html"})
        assert page.status_code == 303, (method, path)
        assert page.headers["location"].startswith("/masuk"), (method, path)
        htmx = await client.request(method, path, headers={"HX-Request": "true"})
        assert htmx.status_code == 401, (method, path)
        assert htmx.headers["HX-Redirect"] == "/masuk"
        api = await client.request(method, path, headers={"accept": "application/json"})
        assert api.status_code == 401, (method, path)


async def test_htmx_gets_back_to_its_page_after_signing_in_and_sees_why_it_failed(
    app: FastAPI, client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    """401 for htmx: HX-Redirect to the login page with `next` = the page the request came
    from (HX-Current-URL), never another site. Every page loads desk-htmx.js, which shows the
    JSON `detail` of a refused htmx request in the #galat-htmx banner."""
    here = "http://desk.test/kotak-masuk?cari=cod&tinjauan=belum"
    htmx = await client.get("/kotak-masuk", headers={"HX-Request": "true", "HX-Current-URL": here})
    assert htmx.status_code == 401
    assert (
        htmx.headers["HX-Redirect"] == "/masuk?next=%2Fkotak-masuk%3Fcari%3Dcod%26tinjauan%3Dbelum"
    )
    assert "Silakan masuk lagi" in htmx.json()["detail"]
    for evil in ("https://evil.example//evil.example/x", "https://evil.example/"):
        refused = await client.post(
            "/percakapan/1/catatan", headers={"HX-Request": "true", "HX-Current-URL": evil}
        )
        assert refused.headers["HX-Redirect"] == "/masuk", evil

    make_staff(sessions, "dina", 202, Role.SUPPORT)
    await login(client, "dina")
    page = await client.get("/kotak-masuk")
    assert '<script src="/static/desk-htmx.js" defer></script>' in page.text
    assert '<div id="galat-htmx" class="htmx-error" role="alert" hidden>' in page.text
    assert "<script>" not in page.text  # no inline script: the CSP stays strict
    script = await client.get("/static/desk-htmx.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert "htmx:responseError" in script.text and "innerHTML" not in script.text
    # A stale CSRF token on an htmx POST: 403 with the reason for the banner.
    stale = await client.post(
        "/percakapan/1/catatan", headers={"HX-Request": "true", "X-CSRF-Token": "x" * 64}
    )
    assert stale.status_code == 403
    assert "token keamanan (CSRF)" in stale.json()["detail"]


async def test_redirect_remembers_the_page_but_never_another_site(
    app: FastAPI, client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    make_staff(sessions, "sari", 101, Role.ADMIN)
    first = await client.get("/audit?halaman=1")
    assert first.headers["location"] == "/masuk?next=%2Faudit%3Fhalaman%3D1"
    back = await login(client, "sari", next_path="/audit?halaman=1")
    assert back.headers["location"] == "/audit?halaman=1"

    for evil in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        async with client_for(app) as other:
            response = await login(other, "sari", next_path=evil)
            assert response.status_code == 303
            assert response.headers["location"] == "/kotak-masuk", evil
            # Already signed in: the login page sends them on, never off-site either.
            again = await other.get("/masuk", params={"next": evil})
            assert again.headers["location"] == "/kotak-masuk", evil


async def test_wrong_role_gets_403(
    app: FastAPI, client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    make_staff(sessions, "tari", 201, Role.TRAINER)
    make_staff(sessions, "dina", 202, Role.SUPPORT)
    make_staff(sessions, "nora", 203, None)
    assert (await login(client, "tari")).headers["location"] == "/laporan-siaran"
    for path in ("/kotak-masuk", "/perlu-ditangani", "/anotasi", "/analitik", "/audit"):
        page = await client.get(path)
        assert page.status_code == 403, path
        assert "Akses ditolak" in page.text
        assert (await client.get(path, headers={"HX-Request": "true"})).status_code == 403
    assert (await client.get("/laporan-siaran")).status_code == 200

    async with client_for(client._transport.app) as support:  # type: ignore[attr-defined]
        assert (await login(support, "dina")).headers["location"] == "/kotak-masuk"
        assert (await support.get("/audit")).status_code == 403
        assert (await support.get("/kotak-masuk")).status_code == 200
        assert (await support.get("/laporan-siaran")).status_code == 200

    async with client_for(client._transport.app) as no_role:  # type: ignore[attr-defined]
        # No role: the login leads to "/", which says so (instead of the logout page).
        assert (await login(no_role, "nora")).headers["location"] == "/"
        home = await no_role.get("/")
        assert home.status_code == 200
        for path in ("/", "/kotak-masuk", "/laporan-siaran", "/audit", "/percakapan/1"):
            page = home if path == "/" else await no_role.get(path)
            assert page.status_code == (200 if path == "/" else 403), path
            assert "Belum punya peran" in page.text
            assert "Akun Anda belum punya peran. Minta admin memberi peran" in page.text
            assert "<strong>203</strong>" in page.text  # the Telegram id to give the admin
            assert "akar users grant 203 support" in page.text
            main = page.text.split('<main id="isi">', 1)[1]
            assert '<form method="post" action="/keluar">' in main
            assert f'value="{session_csrf(page.text)}"' in main
        assert (await no_role.get("/keluar")).status_code == 200
        # htmx and JSON clients get the reason as JSON.
        htmx = await no_role.get("/kotak-masuk", headers={"HX-Request": "true"})
        assert htmx.status_code == 403 and "belum punya peran" in htmx.json()["detail"]
        # The logout button works.
        out = await no_role.post("/keluar", data={"csrf_token": session_csrf(home.text)})
        assert out.headers["location"] == "/masuk?keluar=1"


async def test_role_is_read_from_the_database_on_every_request(
    client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    make_staff(sessions, "sari", 101, Role.ADMIN)
    await login(client, "sari")
    assert (await client.get("/audit")).status_code == 200
    with sessions.begin() as session:
        from bot.broadcast import roles

        roles.grant(session, 101, Role.SUPPORT, granted_by=None)
    assert (await client.get("/audit")).status_code == 403
    with sessions.begin() as session:
        session.execute(update(StaffAccount).values(disabled=True))
    assert (await client.get("/kotak-masuk")).status_code == 303


async def test_unsafe_methods_need_the_session_csrf_token(
    app: FastAPI, client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    make_staff(sessions, "sari", 101, Role.ADMIN)
    await login(client, "sari")
    token = session_csrf((await client.get("/audit")).text)
    unsafe = [(m, p) for m, p in protected_routes() if m in UNSAFE]
    assert ("POST", "/keluar") in unsafe
    for method, path in unsafe:
        missing = await client.request(method, path)
        assert missing.status_code == 403, (method, path)
        wrong = await client.request(method, path, data={"csrf_token": token[:-2] + "xx"})
        assert wrong.status_code == 403, (method, path)
        wrong_header = await client.request(method, path, headers={"X-CSRF-Token": "nope"})
        assert wrong_header.status_code == 403, (method, path)
    # Still signed in: a rejected request changes nothing.
    assert (await client.get("/audit")).status_code == 200
    # The header (what htmx sends) and the form field both work.
    assert (await client.post("/keluar", headers={"X-CSRF-Token": token})).status_code == 303
    await login(client, "sari")
    token = session_csrf((await client.get("/audit")).text)
    assert (await client.post("/keluar", data={"csrf_token": token})).status_code == 303


async def test_login_form_has_its_own_csrf_check(
    app: FastAPI, client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    make_staff(sessions, "sari", 101, Role.ADMIN)
    page = await client.get("/masuk")
    token = form_token(page.text)
    data = {"username": "sari", "password": PASSWORD}
    assert (await client.post("/masuk", data=data)).status_code == 403
    assert (await client.post("/masuk", data={**data, "csrf_token": "0" * 64})).status_code == 403
    # The right token without the cookie it was made for (a cross-site post): refused.
    async with client_for(client._transport.app) as stranger:  # type: ignore[attr-defined]
        refused = await stranger.post("/masuk", data={**data, "csrf_token": token})
        assert refused.status_code == 403
        assert "kedaluwarsa" in refused.text
        assert COOKIE_NAME not in refused.cookies
    ok = await client.post("/masuk", data={**data, "csrf_token": token})
    assert ok.status_code == 303
    assert ok.cookies.get(COOKIE_NAME)


def _failed_page(response: httpx.Response) -> str:
    assert response.status_code == 401
    assert "Gagal masuk" in response.text
    # The form comes back without the password.
    assert PASSWORD not in response.text
    return response.text.split("Gagal masuk", 1)[1].split("</p>", 1)[0]


async def test_lockout_after_five_failures_and_one_message_for_every_failure(
    client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    account_id = make_staff(sessions, "sari", 101, Role.ADMIN)
    unknown = _failed_page(await login(client, "tidakada", "apa-saja-123456"))
    for attempt in range(1, 5):
        wrong = _failed_page(await login(client, "sari", f"salah-{attempt}-xxxxxxx"))
        assert wrong == unknown
        with sessions() as session:
            assert session.get(StaffAccount, account_id).failed_logins == attempt  # type: ignore[union-attr]
    fifth = _failed_page(await login(client, "sari", "salah-5-xxxxxxx"))
    assert fifth == unknown
    with sessions() as session:
        account = session.get(StaffAccount, account_id)
        assert account is not None and account.locked_until is not None
        assert timedelta(minutes=14) < account.locked_until - utcnow() <= timedelta(minutes=15)
    # Locked: the right password is refused too, with the same message, and no session.
    locked = await login(client, "sari", PASSWORD)
    assert _failed_page(locked) == unknown
    assert COOKIE_NAME not in locked.cookies
    assert (await client.get("/audit")).status_code == 303

    with sessions() as session:
        reasons = [
            (e.account_id, (e.detail or {}).get("reason"), (e.detail or {}).get("locked"))
            for e in session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "login_failed")
                .order_by(AuditEntry.id)
            )
        ]
    assert reasons[0] == (None, "unknown_user", False)
    assert reasons[1:5] == [(account_id, "wrong_password", False)] * 4
    assert reasons[5] == (account_id, "wrong_password", True)
    assert reasons[6] == (account_id, "locked", False)

    # Fifteen minutes later the right password works and the count starts again.
    with sessions.begin() as session:
        session.execute(update(StaffAccount).values(locked_until=utcnow() - timedelta(seconds=1)))
    assert (await login(client, "sari", PASSWORD)).status_code == 303
    with sessions() as session:
        account = session.get(StaffAccount, account_id)
        assert account is not None
        assert (account.failed_logins, account.locked_until) == (0, None)


async def test_success_resets_the_failure_count(
    client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    account_id = make_staff(sessions, "sari", 101, Role.ADMIN)
    for _ in range(4):
        await login(client, "sari", "bukan-kata-sandinya")
    assert (await login(client, "sari")).status_code == 303
    for _ in range(4):
        await login(client, "sari", "bukan-kata-sandinya")
    with sessions() as session:
        account = session.get(StaffAccount, account_id)
        assert account is not None
        assert (account.failed_logins, account.locked_until) == (4, None)


async def test_disabled_accounts_cannot_sign_in(
    client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    make_staff(sessions, "sari", 101, Role.ADMIN)
    with sessions.begin() as session:
        accounts.set_disabled(session, "sari", True)
    _failed_page(await login(client, "sari"))
    with sessions.begin() as session:
        accounts.set_disabled(session, "sari", False)
    assert (await login(client, "SARI")).status_code == 303  # usernames ignore case


async def test_session_id_changes_at_every_login_and_logout_ends_it(
    app: FastAPI, client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    make_staff(sessions, "sari", 101, Role.ADMIN)
    first = (await login(client, "sari")).cookies[COOKIE_NAME]
    second = (await login(client, "sari")).cookies[COOKIE_NAME]
    async with client_for(app) as elsewhere:
        third = (await login(elsewhere, "sari")).cookies[COOKIE_NAME]
    assert len({first, second, third}) == 3

    with sessions() as session:
        ids = set(session.scalars(select(StaffSession.id)))
    digests = {hashlib.sha256(t.encode()).hexdigest() for t in (second, third)}
    # Only hashes are stored; the login that replaced `first` in this browser ended it.
    assert ids == digests
    assert not {first, second, third} & ids

    async def status_with(token: str) -> int:
        async with client_for(app) as probe:
            probe.cookies.set(COOKIE_NAME, token)
            return (await probe.get("/audit")).status_code

    assert await status_with(first) == 303
    assert await status_with(second) == 200
    token = session_csrf((await client.get("/audit")).text)
    out = await client.post("/keluar", data={"csrf_token": token})
    assert out.status_code == 303
    assert out.headers["location"] == "/masuk?keluar=1"
    assert COOKIE_NAME not in client.cookies
    assert await status_with(second) == 303  # the old cookie is dead on the server too
    assert await status_with(third) == 200  # another browser's session is untouched
    assert "Anda sudah keluar" in (await client.get("/masuk?keluar=1")).text


async def test_expired_sessions_do_not_work(
    client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    make_staff(sessions, "sari", 101, Role.ADMIN)
    await login(client, "sari")
    assert (await client.get("/audit")).status_code == 200
    with sessions.begin() as session:
        session.execute(update(StaffSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert (await client.get("/audit")).status_code == 303


async def test_session_cookie_flags(
    app: FastAPI, client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    make_staff(sessions, "sari", 101, Role.ADMIN)
    response = await login(client, "sari")
    cookie = next(
        v for k, v in response.headers.multi_items() if k == "set-cookie" and COOKIE_NAME + "=" in v
    )
    lowered = cookie.split(";", 1)[1].lower()  # the attributes, not the random value
    assert "httponly" in lowered and "samesite=lax" in lowered and "path=/" in lowered
    assert "max-age=43200" in lowered
    assert "secure" not in lowered  # plain http in this test
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://desk.test"
    ) as tls:
        secure = await login(tls, "sari")
        assert "secure" in secure.headers["set-cookie"].split(";", 1)[1].lower()


async def test_passwords_are_stored_hashed_and_never_logged(
    client: httpx.AsyncClient,
    sessions: sessionmaker[Session],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    make_staff(sessions, "sari", 101, Role.ADMIN)
    await login(client, "sari", "tebakan-yang-salah-99")
    await login(client, "tidakada", "tebakan-untuk-akun-lain")
    await login(client, "sari")
    with sessions.begin() as session:
        accounts.set_password(session, "sari", "kata-sandi-baru-456")
    assert caplog.records  # something was logged (SQL, HTTP), so the check below means something
    for secret in (
        PASSWORD,
        "tebakan-yang-salah-99",
        "tebakan-untuk-akun-lain",
        "kata-sandi-baru-456",
    ):
        assert secret not in caplog.text

    with sessions() as session:
        account = session.scalars(select(StaffAccount)).one()
        assert account.password_hash.startswith("$argon2id$")
        dump = []
        for table in inspect(session.get_bind()).get_table_names():
            dump.extend(repr(row) for row in session.execute(text(f'SELECT * FROM "{table}"')))
    everything = "\n".join(dump)
    assert "sari" in everything
    for secret in (
        PASSWORD,
        "tebakan-yang-salah-99",
        "tebakan-untuk-akun-lain",
        "kata-sandi-baru-456",
    ):
        assert secret not in everything


async def test_security_headers_on_every_kind_of_response(
    client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    make_staff(sessions, "sari", 101, Role.ADMIN)
    anonymous = [
        await client.get("/masuk"),
        await client.get("/healthz"),
        await client.get("/audit"),
        await client.get("/tidak-ada"),
    ]
    await login(client, "sari")
    signed_in = [await client.get("/audit"), await client.get("/laporan-siaran")]
    static = await client.get("/static/desk.css")
    for response in [*anonymous, *signed_in, static]:
        headers = response.headers
        csp = headers["content-security-policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
    for response in [*anonymous, *signed_in]:
        assert response.headers["cache-control"] == "no-store"
    assert static.status_code == 200
    assert static.headers["cache-control"] == "no-cache"
    # No inline scripts anywhere (the CSP would block them): every <script> has a src.
    for response in signed_in:
        assert "<script>" not in response.text
        assert 'src="/static/htmx.min.js"' in response.text


async def test_probes_need_no_login_and_readyz_checks_the_database(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": True}}
