"""Signing in and out: /masuk and /keluar.

Every failed login gets the same answer (unknown user, wrong password, locked, disabled), so the
page never tells which usernames exist; the audit log keeps the real reason for admins. The
username typed is not logged or audited for unknown accounts, since people sometimes type their
password into that field.
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Form
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.broadcast.roles import role_of
from bot.db.models import StaffAccount
from bot.desk import accounts, csrf, staff_sessions
from bot.desk.audit import audit
from bot.desk.auth import SignedIn
from bot.desk.errors import safe_next
from bot.desk.navigation import home_path
from bot.desk.state import DbSession, desk_state
from bot.desk.templating import render

router = APIRouter()

LOGIN_FAILED: Final = (
    "Gagal masuk: nama pengguna atau kata sandi salah, atau akun sedang dikunci. "
    f"Setelah {accounts.MAX_FAILURES} kali gagal berturut-turut, akun dikunci "
    f"{int(accounts.LOCK_DURATION.total_seconds() // 60)} menit."
)
FORM_EXPIRED: Final = "Halaman masuk sudah kedaluwarsa atau tidak sah. Silakan coba lagi."
SIGNED_OUT: Final = "Anda sudah keluar."


def _secure(request: Request) -> bool:
    return desk_state(request).config.secure_cookies or request.url.scheme == "https"


def _login_page(
    request: Request,
    *,
    status_code: int = 200,
    error: str | None = None,
    notice: str | None = None,
    username: str = "",
    next_path: str | None = None,
) -> Response:
    """The login form with a valid double-submit pair (the browser's nonce kept if it has one,
    so two open login tabs both work)."""
    nonce = request.cookies.get(csrf.LOGIN_COOKIE)
    fresh = not csrf.is_login_nonce(nonce)
    if fresh:
        nonce = csrf.new_login_nonce()
    assert nonce is not None
    response = render(
        request,
        "masuk.html",
        None,
        status_code=status_code,
        form_token=csrf.login_token(desk_state(request).secret_key, nonce),
        error=error,
        notice=notice,
        username=username,
        next_path=next_path or "",
    )
    if fresh:
        response.set_cookie(
            csrf.LOGIN_COOKIE,
            nonce,
            path="/masuk",
            httponly=True,
            samesite="strict",
            secure=_secure(request),
        )
    return response


@router.get("/masuk")
def login_form(request: Request, db: DbSession, next: str | None = None) -> Response:
    token = request.cookies.get(staff_sessions.COOKIE_NAME, "")
    row = staff_sessions.find_valid(db, token)
    if row is not None:
        account = db.get(StaffAccount, row.account_id)
        if account is not None and not account.disabled:
            target = safe_next(next) or home_path(role_of(db, account.telegram_user_id))
            return RedirectResponse(target, status_code=303)
    notice = SIGNED_OUT if request.query_params.get("keluar") == "1" else None
    return _login_page(request, notice=notice, next_path=safe_next(next))


@router.post("/masuk")
def login(
    request: Request,
    db: DbSession,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    state = desk_state(request)
    next_path = safe_next(next)
    if not csrf.login_ok(state.secret_key, request.cookies.get(csrf.LOGIN_COOKIE), csrf_token):
        return _login_page(request, status_code=403, error=FORM_EXPIRED, next_path=next_path)

    result = accounts.authenticate(db, username, password)
    client = request.client.host if request.client else None
    if result.outcome is not accounts.Outcome.OK or result.account is None:
        account_id = result.account.id if result.account else None
        audit(
            db,
            account_id,
            "login_failed",
            "account" if account_id else None,
            account_id,
            {"reason": result.outcome.value, "locked": result.locked_now, "ip": client},
        )
        # Echoed whether or not the account exists: the page must not tell them apart.
        return _login_page(
            request,
            status_code=401,
            error=LOGIN_FAILED,
            username=username[:64],
            next_path=next_path,
        )

    account = result.account
    # A session cookie the browser already had is ended: one login, one fresh session.
    previous = request.cookies.get(staff_sessions.COOKIE_NAME)
    if previous:
        staff_sessions.end(db, previous)
    new = staff_sessions.start(db, account, state.config.session_lifetime)
    audit(db, account.id, "login", "account", account.id, {"ip": client})
    target = next_path or home_path(role_of(db, account.telegram_user_id))
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        staff_sessions.COOKIE_NAME,
        new.token,
        max_age=int(state.config.session_lifetime.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )
    response.delete_cookie(csrf.LOGIN_COOKIE, path="/masuk")
    return response


@router.get("/keluar")
def logout_page(request: Request, staff: SignedIn) -> Response:
    """A confirmation page: signing out is a POST (with the CSRF token), never a link."""
    return render(request, "keluar.html", staff)


@router.post("/keluar")
def logout(request: Request, db: DbSession, staff: SignedIn) -> Response:
    staff_sessions.end(db, request.cookies.get(staff_sessions.COOKIE_NAME, ""))
    audit(db, staff.account_id, "logout", "account", staff.account_id)
    response = RedirectResponse("/masuk?keluar=1", status_code=303)
    response.delete_cookie(
        staff_sessions.COOKIE_NAME, path="/", httponly=True, samesite="lax", secure=_secure(request)
    )
    return response
