"""Desk accounts: creating them, changing passwords, disabling, and checking a login.

Every function takes the caller's session and never commits. An account has no role of its own:
the role comes from `staff_roles` through its Telegram user id (bot/desk/auth.py), so granting
or revoking a role in Telegram (/peran) or the CLI changes what the account may do at once.

Lockout: MAX_FAILURES wrong passwords in a row lock the account for LOCK_DURATION; while it is
locked even the right password is refused, and attempts do not extend the lock. A successful
login clears the count. The counter is incremented in SQL, so parallel guesses all count.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.db.models import StaffAccount, StaffSession, utcnow
from bot.desk import passwords

MAX_FAILURES: Final = 5
LOCK_DURATION: Final = timedelta(minutes=15)
_USERNAME: Final = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")


class AccountError(ValueError):
    """A request the accounts cannot fulfil; the message is Indonesian, for the operator."""


def normalise_username(username: str) -> str:
    """Usernames are case-insensitive: stored and looked up in lower case."""
    return username.strip().lower()


def check_username(username: str) -> str:
    name = normalise_username(username)
    if not _USERNAME.match(name):
        raise AccountError(
            "Nama pengguna 3-64 karakter: huruf kecil, angka, titik, garis bawah atau tanda "
            "hubung, diawali huruf atau angka."
        )
    return name


def find(session: Session, username: str) -> StaffAccount | None:
    return session.scalars(
        select(StaffAccount).where(StaffAccount.username == normalise_username(username))
    ).first()


def get(session: Session, username: str) -> StaffAccount:
    account = find(session, username)
    if account is None:
        raise AccountError(f"Akun {normalise_username(username)!r} tidak ada.")
    return account


def create(session: Session, username: str, telegram_user_id: int, password: str) -> StaffAccount:
    name = check_username(username)
    if find(session, name) is not None:
        raise AccountError(f"Akun {name!r} sudah ada.")
    taken = session.scalars(
        select(StaffAccount.username).where(StaffAccount.telegram_user_id == telegram_user_id)
    ).first()
    if taken is not None:
        raise AccountError(f"Telegram id {telegram_user_id} sudah dipakai akun {taken!r}.")
    try:
        password_hash = passwords.hash_password(password)
    except passwords.WeakPassword as exc:
        raise AccountError(str(exc)) from None
    account = StaffAccount(
        username=name, telegram_user_id=telegram_user_id, password_hash=password_hash
    )
    session.add(account)
    session.flush()
    return account


def end_sessions(session: Session, account_id: int) -> int:
    """Sign the account out everywhere; returns how many sessions ended."""
    result = session.execute(delete(StaffSession).where(StaffSession.account_id == account_id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def set_password(session: Session, username: str, password: str) -> StaffAccount:
    """New password; also lifts a lockout and signs the account out of every browser (whoever
    knew the old password must not keep a session)."""
    account = get(session, username)
    try:
        account.password_hash = passwords.hash_password(password)
    except passwords.WeakPassword as exc:
        raise AccountError(str(exc)) from None
    account.failed_logins, account.locked_until = 0, None
    end_sessions(session, account.id)
    session.flush()
    return account


def set_disabled(session: Session, username: str, disabled: bool) -> StaffAccount:
    """Disable (and sign out everywhere) or enable an account; rows are kept for the audit log."""
    account = get(session, username)
    account.disabled = disabled
    if disabled:
        end_sessions(session, account.id)
    session.flush()
    return account


class Outcome(enum.StrEnum):
    OK = "ok"
    UNKNOWN_USER = "unknown_user"
    WRONG_PASSWORD = "wrong_password"
    LOCKED = "locked"
    DISABLED = "disabled"


@dataclass(frozen=True)
class LoginResult:
    """What a login attempt came to. Only OK signs in; the others all get one message."""

    outcome: Outcome
    account: StaffAccount | None = None
    locked_now: bool = False  # this failure was the one that locked the account


def _is_locked(account: StaffAccount, now: datetime) -> bool:
    return account.locked_until is not None and account.locked_until > now


def _record_failure(session: Session, account: StaffAccount, now: datetime) -> bool:
    """Count a wrong password; lock the account at MAX_FAILURES. True if it locked now."""
    failures = session.execute(
        update(StaffAccount)
        .where(StaffAccount.id == account.id)
        .values(failed_logins=StaffAccount.failed_logins + 1)
        .returning(StaffAccount.failed_logins)
    ).scalar_one()
    if failures < MAX_FAILURES:
        session.refresh(account)
        return False
    session.execute(
        update(StaffAccount)
        .where(StaffAccount.id == account.id)
        .values(failed_logins=0, locked_until=now + LOCK_DURATION)
    )
    session.refresh(account)
    return True


def authenticate(
    session: Session, username: str, password: str, now: datetime | None = None
) -> LoginResult:
    """Check a username and password, applying the lockout; the caller commits either way."""
    now = now or utcnow()
    account = find(session, username)
    if account is None:
        passwords.spend_same_time(password)
        return LoginResult(Outcome.UNKNOWN_USER)
    if _is_locked(account, now):
        passwords.spend_same_time(password)
        return LoginResult(Outcome.LOCKED, account)
    if not passwords.verify(account.password_hash, password):
        locked_now = _record_failure(session, account, now)
        return LoginResult(Outcome.WRONG_PASSWORD, account, locked_now)
    if account.disabled:
        return LoginResult(Outcome.DISABLED, account)
    account.failed_logins, account.locked_until, account.last_login_at = 0, None, now
    if passwords.needs_rehash(account.password_hash):
        account.password_hash = passwords.hash_password(password)
    session.flush()
    return LoginResult(Outcome.OK, account)
