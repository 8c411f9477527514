"""How the desk answers when it says no.

Browsers get pages (a redirect to /masuk, a 403 page in Indonesian; an account without a role
gets the page that says so, with a logout button). htmx and JSON clients get status codes they
can act on: 401 with `HX-Redirect: /masuk?next=...` (htmx then loads the login page, which
leads back to the page the request came from), or a short JSON body whose `detail` is the
Indonesian message. static/desk-htmx.js shows that message in a banner for every htmx request
that fails, since htmx itself swaps nothing on an error. Validation errors never echo the
submitted input back, because that input may be a password.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from bot.desk.auth import Forbidden, NotSignedIn
from bot.desk.csrf import SAFE_METHODS
from bot.desk.templating import render

LOGIN_PATH = "/masuk"
NO_ROLE_TEMPLATE = "tanpa_peran.html"


def wants_fragment_or_json(request: Request) -> bool:
    """htmx requests and API-style clients get status codes, not pages."""
    if request.headers.get("HX-Request") == "true":
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def safe_next(path: str | None) -> str | None:
    """A local path to return to after login, or None: never another site (open redirect)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return None
    if any(ord(c) < 32 for c in path) or len(path) > 512:
        return None
    return path


def _login_target(here: str | None) -> str:
    """/masuk, with `next` when there is a page worth returning to."""
    if here and here != "/" and safe_next(here):
        return LOGIN_PATH + "?next=" + quote(here, safe="")
    return LOGIN_PATH


def _htmx_page(request: Request) -> str | None:
    """The path of the page an htmx request came from (its `HX-Current-URL`); only the path is
    kept (and `safe_next` checks it), so the header can never lead to another site."""
    current = request.headers.get("HX-Current-URL")
    if not current:
        return None
    parts = urlsplit(current)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _not_signed_in(request: Request, exc: Exception) -> Response:
    if wants_fragment_or_json(request):
        return JSONResponse(
            {"detail": "Anda belum masuk, atau sesi Anda sudah berakhir. Silakan masuk lagi."},
            status_code=401,
            headers={"HX-Redirect": _login_target(_htmx_page(request))},
        )
    here = None
    if request.method == "GET":
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(_login_target(here), status_code=303)


def _forbidden(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Forbidden)
    if wants_fragment_or_json(request):
        return JSONResponse({"detail": exc.message}, status_code=403)
    if exc.staff is not None and exc.staff.role is None and request.method in SAFE_METHODS:
        # Any page, for an account without a role: say what to do, and offer to sign out.
        return render(request, NO_ROLE_TEMPLATE, exc.staff, status_code=403)
    return render(request, "terlarang.html", exc.staff, status_code=403, message=exc.message)


def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if wants_fragment_or_json(request) or exc.status_code not in (404, 405):
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
    message = "Halaman tidak ditemukan." if exc.status_code == 404 else "Metode tidak didukung."
    return render(request, "galat.html", None, status_code=exc.status_code, message=message)


def _invalid_request(request: Request, exc: Exception) -> Response:
    return JSONResponse({"detail": "Permintaan tidak valid."}, status_code=422)


def install(app: FastAPI) -> None:
    app.add_exception_handler(NotSignedIn, _not_signed_in)
    app.add_exception_handler(Forbidden, _forbidden)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
