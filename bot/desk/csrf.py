"""CSRF defences.

Signed-in requests: every unsafe method (POST, PUT, PATCH, DELETE) must carry the session's own
random token (`staff_sessions.csrf_token`) as the form field `csrf_token` or the header
`X-CSRF-Token` (htmx sends it from `hx-headers` on <body>). Another site can make the browser
send the cookie, but cannot read the token, which is only in our pages.

The login form has no session yet, so it uses a signed double-submit cookie: GET /masuk sets a
random nonce in the `akar_desk_login` cookie (HttpOnly, SameSite=Strict, Path=/masuk) and puts
HMAC-SHA256(key, nonce) in the form. POST /masuk needs both to match. A cross-site form has no
cookie (SameSite) and cannot compute the HMAC without the server's key, even if it managed to
plant a cookie of its own (e.g. from a sibling subdomain): that is what the signature adds to a
plain double-submit. This stops login CSRF, i.e. signing a victim in to the attacker's account.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Final

from starlette.requests import Request

FIELD: Final = "csrf_token"
HEADER: Final = "X-CSRF-Token"
LOGIN_COOKIE: Final = "akar_desk_login"
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_FORM_TYPES: Final = ("application/x-www-form-urlencoded", "multipart/form-data")
_MAX_TOKEN: Final = 128


def same(expected: str | None, submitted: str | None) -> bool:
    """Constant-time comparison; a missing or oversized value never matches."""
    if not expected or not submitted or len(submitted) > _MAX_TOKEN:
        return False
    return hmac.compare_digest(expected.encode(), submitted.encode())


async def submitted_token(request: Request) -> str | None:
    """The token a request carries: the header first, else the form field (forms only)."""
    header = request.headers.get(HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(_FORM_TYPES):
        return None
    form = await request.form()  # Starlette caches it: the endpoint reads the same form
    value = form.get(FIELD)
    return value if isinstance(value, str) else None


def new_login_nonce() -> str:
    return secrets.token_urlsafe(32)


def is_login_nonce(value: str | None) -> bool:
    return bool(value) and len(value or "") <= _MAX_TOKEN


def login_token(key: bytes, nonce: str) -> str:
    """The form half of the login double-submit pair."""
    return hmac.new(key, b"akar-desk-login\0" + nonce.encode(), hashlib.sha256).hexdigest()


def login_ok(key: bytes, nonce: str | None, submitted: str | None) -> bool:
    if not is_login_nonce(nonce):
        return False
    assert nonce is not None
    return same(login_token(key, nonce), submitted)
