"""Signed-in browsers: one `staff_sessions` row per login.

The cookie carries a fresh random token (`secrets.token_urlsafe(32)`, 256 bits); the row's id is
its SHA-256, so the database never holds a usable cookie and a session id cannot be chosen by
the client (no fixation): every login makes a new token and a new row. Each session has its own
CSRF token. Expiry is absolute (`expires_at`), checked on every request. The caller commits.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import delete
from sqlalchemy.orm import Session

from bot.db.models import StaffAccount, StaffSession, utcnow

COOKIE_NAME: Final = "akar_desk"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class NewSession:
    token: str  # goes into the cookie, and nowhere else
    row: StaffSession


def start(
    session: Session, account: StaffAccount, lifetime: timedelta, now: datetime | None = None
) -> NewSession:
    """A new session for `account`; its other live sessions stay (other browsers), and
    expired sessions of anyone are cleared away here, the one place that writes sessions."""
    now = now or utcnow()
    session.execute(delete(StaffSession).where(StaffSession.expires_at <= now))
    token = secrets.token_urlsafe(32)
    row = StaffSession(
        id=token_hash(token),
        account_id=account.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + lifetime,
    )
    session.add(row)
    session.flush()
    return NewSession(token, row)


def find_valid(session: Session, token: str, now: datetime | None = None) -> StaffSession | None:
    """The live session for a cookie token, or None (unknown, malformed or expired)."""
    if not token or len(token) > 128:
        return None
    row = session.get(StaffSession, token_hash(token))
    if row is None or row.expires_at <= (now or utcnow()):
        return None
    return row


def end(session: Session, token: str) -> StaffSession | None:
    """Delete the session a cookie token names; returns it (None if there was none)."""
    if not token or len(token) > 128:
        return None
    row = session.get(StaffSession, token_hash(token))
    if row is not None:
        session.delete(row)
        session.flush()
    return row
