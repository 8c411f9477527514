"""The landing page ("/": a redirect to the first page of the role, or, for an account without
a role, a page saying so with a logout button) and the "Segera hadir" pages of parts not built
yet.

To build one of these pages: add its own view module with the route, and delete its path from
`PLACEHOLDERS` (tests/desk check that every route is behind the login and its roles).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.desk.auth import DeskStaff, SignedIn
from bot.desk.errors import NO_ROLE_TEMPLATE
from bot.desk.navigation import NAV, home_path
from bot.desk.templating import render

router = APIRouter()

PLACEHOLDERS: Final[tuple[str, ...]] = ()


@router.get("/")
def home(request: Request, staff: SignedIn) -> Response:
    if staff.role is None:
        return render(request, NO_ROLE_TEMPLATE, staff)
    return RedirectResponse(home_path(staff.role), status_code=303)


def _placeholder(title: str) -> Callable[[Request, DeskStaff], Response]:
    def page(request: Request, staff: DeskStaff) -> Response:
        return render(request, "segera_hadir.html", staff, title=title)

    return page


for _item in NAV:
    if _item.path in PLACEHOLDERS:
        router.add_api_route(
            _item.path, _placeholder(_item.label), methods=["GET"], name=_item.path
        )
