"""The desk's menu: one list, filtered by role, so a link is shown only to those who may open it.

The server enforces roles on each route (bot/desk/auth.py); this list only decides what the menu
shows and where "/" leads. A page not built yet keeps its path here and gets a "Segera hadir"
placeholder from `PLACEHOLDERS` in bot/desk/views/home.py until its own view module replaces it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from bot.db.models import Role
from bot.desk.auth import ADMIN, DESK, REPORTS


@dataclass(frozen=True)
class NavItem:
    label: str
    path: str
    roles: frozenset[Role]


NAV: Final = (
    NavItem("Kotak masuk", "/kotak-masuk", DESK),
    NavItem("Perlu ditangani", "/perlu-ditangani", DESK),
    NavItem("Anotasi NLU", "/anotasi", DESK),
    NavItem("Analitik", "/analitik", DESK),
    NavItem("Laporan siaran", "/laporan-siaran", REPORTS),
    NavItem("Audit", "/audit", ADMIN),
)


def visible(role: Role | None) -> list[NavItem]:
    return [item for item in NAV if role is not None and role in item.roles]


def home_path(role: Role | None) -> str:
    """Where a signed-in person lands: the first page their role may open, or "/" (which
    explains that the account has no role yet, with a logout button)."""
    items = visible(role)
    return items[0].path if items else "/"
