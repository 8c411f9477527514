"""/anotasi: NLU annotations waiting for export, and the "Ekspor ke nlu/" button.

The button runs `export.export_pending` (its own transaction; the same as `akar nlu
export-annotations`) into `DeskConfig.nlu_dir`, then shows what was written and what was
skipped and why. The file still has to be committed and the model retrained (`make train`):
the page says so, because the desk cannot do either. Examples come from sellers' messages, so
viewing is audited, and so is every export.
"""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa
from fastapi import APIRouter
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from bot.db.models import Message
from bot.desk.audit import audit
from bot.desk.auth import DeskStaff, Staff
from bot.desk.state import DbSession, desk_state
from bot.desk.templating import render
from bot.support import export
from bot.support.inbox import list_pending_annotations

router = APIRouter()

REASONS: Final = export.REASONS


def _page(
    request: Request, db: Session, staff: Staff, result: export.ExportResult | None = None
) -> Response:
    pending = list_pending_annotations(db)
    message_ids = {a.message_id for a in pending if a.message_id is not None}
    sellers: dict[int, int] = {}
    if message_ids:
        rows = db.execute(
            sa.select(Message.id, Message.seller_id).where(Message.id.in_(message_ids))
        )
        sellers = {message_id: seller_id for message_id, seller_id in rows}
    audit(db, staff.account_id, "view", "page", "anotasi")
    return render(
        request,
        "anotasi.html",
        staff,
        pending=[(a, sellers.get(a.message_id or 0)) for a in pending],
        result=result,
        reasons=REASONS,
        file_name=f"nlu/{export.FILE_NAME}",
    )


@router.get("/anotasi")
def pending_annotations(request: Request, db: DbSession, staff: DeskStaff) -> Response:
    return _page(request, db, staff)


@router.post("/anotasi/ekspor")
def export_annotations(request: Request, db: DbSession, staff: DeskStaff) -> Response:
    config = desk_state(request).config
    result = export.export_pending(
        desk_state(request).sessions, nlu_dir=config.nlu_dir, held_out=config.nlu_held_out
    )
    skipped: dict[str, int] = {}
    for item in result.skipped:
        skipped[item.reason] = skipped.get(item.reason, 0) + 1
    audit(
        db,
        staff.account_id,
        "export",
        "annotation",
        None,
        {"ke": f"nlu/{export.FILE_NAME}", "ditulis": len(result.written), "dilewati": skipped},
    )
    return _page(request, db, staff, result)
