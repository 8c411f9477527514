"""Who is asking, and may they: the dependencies every desk route uses.

`current_staff` runs on every request of every route except /masuk, the probes (/healthz,
/readyz, /metrics) and /static: it reads the session cookie, loads the session, the account and
the account's role from the database (nothing is cached, so a revoked role or a disabled
account stops working on the next click) and, for unsafe methods, checks the CSRF token.
`require(...)` adds the role check. Failures are exceptions, turned into responses by
bot/desk/errors.py: no session -> redirect to /masuk (HTML) or 401 (htmx, JSON); wrong role or
bad CSRF token -> 403.

A route is declared with one of:

    staff: SignedIn                                  # any signed-in account, even without a role
    staff: Annotated[Staff, Depends(require(DESK))]  # support and admin
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Final

from fastapi import Depends
from starlette.requests import Request

from bot.broadcast.roles import role_of
from bot.db.models import Role, StaffAccount
from bot.desk import csrf, staff_sessions
from bot.desk.state import DbSession

# Who may use what. Trainers see only broadcast reports; admins see everything.
DESK: Final = frozenset({Role.SUPPORT, Role.ADMIN})
REPORTS: Final = frozenset({Role.TRAINER, Role.SUPPORT, Role.ADMIN})
ADMIN: Final = frozenset({Role.ADMIN})

ROLE_NAMES: Final = {Role.ADMIN: "admin", Role.SUPPORT: "dukungan", Role.TRAINER: "pelatih"}


@dataclass(frozen=True)
class Staff:
    """The signed-in person for one request."""

    account_id: int
    username: str
    telegram_user_id: int
    role: Role | None  # None: the account exists but its Telegram id has no role (yet)
    session_id: str
    csrf_token: str

    @property
    def role_name(self) -> str:
        return ROLE_NAMES[self.role] if self.role else "tanpa peran"


class NotSignedIn(Exception):
    """No valid session: sign in first."""


class Forbidden(Exception):
    """Signed in, but this is not for them (or the CSRF token is wrong)."""

    def __init__(self, message: str, staff: Staff | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.staff = staff


async def _submitted_csrf(request: Request) -> str | None:
    """Async on purpose: reading the form body needs the event loop."""
    if request.method in csrf.SAFE_METHODS:
        return None
    return await csrf.submitted_token(request)


def current_staff(
    request: Request,
    db: DbSession,
    submitted_csrf: Annotated[str | None, Depends(_submitted_csrf)],
) -> Staff:
    token = request.cookies.get(staff_sessions.COOKIE_NAME, "")
    row = staff_sessions.find_valid(db, token)
    if row is None:
        raise NotSignedIn()
    account = db.get(StaffAccount, row.account_id)
    if account is None or account.disabled:
        raise NotSignedIn()
    staff = Staff(
        account_id=account.id,
        username=account.username,
        telegram_user_id=account.telegram_user_id,
        role=role_of(db, account.telegram_user_id),
        session_id=row.id,
        csrf_token=row.csrf_token,
    )
    if request.method not in csrf.SAFE_METHODS and not csrf.same(row.csrf_token, submitted_csrf):
        raise Forbidden(
            "Permintaan ditolak karena token keamanan (CSRF) tidak ada atau tidak cocok. "
            "Muat ulang halaman, lalu coba lagi.",
            staff,
        )
    return staff


SignedIn = Annotated[Staff, Depends(current_staff)]


def require(roles: frozenset[Role]) -> Callable[[Staff], Staff]:
    """A dependency: the signed-in staff member, if their role is one of `roles`."""

    def check(staff: SignedIn) -> Staff:
        if staff.role is None:
            raise Forbidden(
                "Akun Anda belum punya peran. Minta admin memberi peran dengan /peran di "
                "Telegram atau `akar users grant`.",
                staff,
            )
        if staff.role not in roles:
            raise Forbidden("Halaman ini bukan untuk peran Anda.", staff)
        return staff

    return check


DeskStaff = Annotated[Staff, Depends(require(DESK))]
ReportsStaff = Annotated[Staff, Depends(require(REPORTS))]
AdminStaff = Annotated[Staff, Depends(require(ADMIN))]
