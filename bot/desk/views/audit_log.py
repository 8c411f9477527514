"""/audit: the audit log for admins, newest first, page by page.

It names staff, sellers (by id) and IP addresses, so viewing it is itself audited.
"""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from bot.desk import audit
from bot.desk.auth import AdminStaff
from bot.desk.paging import PageNumber, Pager
from bot.desk.state import DbSession
from bot.desk.templating import render

router = APIRouter()

PER_PAGE: Final = 50


@router.get("/audit")
def audit_log(
    request: Request, db: DbSession, staff: AdminStaff, halaman: PageNumber = 1
) -> Response:
    pager = Pager(halaman, PER_PAGE, audit.count(db))
    rows = audit.page(db, pager.offset, PER_PAGE)
    audit.audit(db, staff.account_id, "view", "page", "audit", {"halaman": halaman})
    return render(
        request,
        "audit.html",
        staff,
        rows=rows,
        pager=pager,
    )
