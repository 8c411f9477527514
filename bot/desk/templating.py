"""Jinja2 templates: autoescaped always, with Indonesian number and WIB time filters.

Autoescape is what keeps sellers' messages (any text at all) harmless in the page; never mark
stored text `|safe`. `render` adds what the layout needs: the menu for the role, the CSRF token
(for forms and for htmx's `hx-headers`), and the signed-in person.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Final

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from bot.broadcast.schedule import MONTHS, ZONES
from bot.desk import labels, navigation
from bot.desk.auth import Staff
from bot.formatting import duration, number

TEMPLATE_DIR: Final = Path(__file__).resolve().parent / "templates"


def wib(moment: datetime | None) -> str:
    """ "1 Des 2026 09.00 WIB" """
    if moment is None:
        return "-"
    local = moment.astimezone(ZONES["WIB"])
    return f"{local.day} {MONTHS[local.month - 1][:3]} {local.year} {local:%H.%M} WIB"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(number=number, wib=wib, duration=duration)
    # The handoff words of every page, also inside imported macros (which see globals only).
    env.globals.update(handoff_names=labels.HANDOFF_NAMES, handoff_titles=labels.HANDOFF_TITLES)
    return env


templates = Jinja2Templates(env=_environment())


def render(
    request: Request,
    template: str,
    staff: Staff | None,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    base = {
        "staff": staff,
        "nav": navigation.visible(staff.role) if staff else [],
        "csrf_token": staff.csrf_token if staff else "",
        "path": request.url.path,
    }
    return templates.TemplateResponse(
        request, template, {**base, **context}, status_code=status_code
    )
