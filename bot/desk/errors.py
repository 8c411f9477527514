"""How the desk answers when it says no.

Browsers get pages (a redirect to /masuk, a 403 page in Indonesian); htmx and JSON clients get
status codes they can act on: 401 with `HX-Redirect: /masuk` (htmx then loads the login page)
or a short JSON body. Validation errors never echo the submitted input back, because that input
may be a password.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from bot.desk.auth import Forbidden, NotSignedIn
from bot.desk.templating import render

LOGIN_PATH = "/masuk"


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


def _not_signed_in(request: Request, exc: Exception) -> Response:
    if wants_fragment_or_json(request):
        return JSONResponse(
            {"detail": "Silakan masuk terlebih dahulu."},
            status_code=401,
            headers={"HX-Redirect": LOGIN_PATH},
        )
    target = LOGIN_PATH
    if request.method == "GET":
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if safe_next(here) and here != "/":
            target += "?next=" + quote(here, safe="")
    return RedirectResponse(target, status_code=303)


def _forbidden(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Forbidden)
    if wants_fragment_or_json(request):
        return JSONResponse({"detail": exc.message}, status_code=403)
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
