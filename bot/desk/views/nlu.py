"""/anotasi: NLU annotations waiting for export, the "Ekspor ke nlu/" button, and deleting a
pending annotation (its author or an admin; also from the conversation page).

The button runs `export.export_pending` (its own transaction; the same as `akar nlu
export-annotations`) into `DeskConfig.nlu_dir`, then shows what was written and what was
skipped and why. The file still has to be committed and the model retrained (`make train`):
the page says so, because the desk cannot do either. Examples come from sellers' messages, so
viewing is audited, and so is every export and deletion.
"""

from __future__ import annotations

from typing import Annotated, Final

import sqlalchemy as sa
from fastapi import APIRouter, Form, HTTPException
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.db.models import Message, NluAnnotation, Role
from bot.desk.audit import audit
from bot.desk.auth import DeskStaff, Forbidden, Staff
from bot.desk.paging import RowId
from bot.desk.state import DbSession, desk_state
from bot.desk.templating import render
from bot.support import export
from bot.support.inbox import (
    AlreadyExported,
    NotAllowed,
    delete_annotation,
    list_pending_annotations,
)

router = APIRouter()

# What the page says after a deletion (the redirect carries only the code).
INFO: Final = {
    "dihapus": "Anotasi dihapus. Anotasi itu tidak akan diekspor.",
    "sudah-diekspor": (
        "Anotasi itu sudah diekspor ke data latih, jadi tidak bisa dihapus lagi dari meja "
        "dukungan. Beri tahu pengembang supaya contohnya diperbaiki sebelum di-commit."
    ),
}
NOT_YOURS: Final = "Hanya pembuat anotasi atau admin yang bisa menghapusnya."


def is_admin(staff: Staff) -> bool:
    return staff.role is Role.ADMIN


def _page(
    request: Request,
    db: Session,
    staff: Staff,
    result: export.ExportResult | None = None,
    info: str = "",
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
        reason_text=export.reason_text,
        file_name=f"nlu/{export.FILE_NAME}",
        info=INFO.get(info),
        is_admin=is_admin(staff),
    )


@router.get("/anotasi")
def pending_annotations(
    request: Request, db: DbSession, staff: DeskStaff, info: str = ""
) -> Response:
    return _page(request, db, staff, info=info)


@router.post("/anotasi/{annotation_id}/hapus")
def delete_pending_annotation(
    db: DbSession,
    staff: DeskStaff,
    annotation_id: RowId,
    kembali: Annotated[str, Form()] = "",
) -> Response:
    """Delete a pending annotation, then back to /anotasi, or to the message in its
    conversation (`kembali=percakapan`)."""
    annotation = db.get(NluAnnotation, annotation_id)
    if annotation is None:
        raise HTTPException(404)
    message_id = annotation.message_id
    try:
        deleted = delete_annotation(
            db, annotation_id, account_id=staff.account_id, admin=is_admin(staff)
        )
    except NotAllowed:
        raise Forbidden(NOT_YOURS, staff) from None
    except AlreadyExported:
        info = "sudah-diekspor"
    else:
        info = "dihapus"
        audit(
            db,
            staff.account_id,
            "delete_annotation",
            "annotation",
            annotation_id,
            {"intent": deleted.intent, "pesan": message_id},
        )
    if kembali == "percakapan" and message_id is not None:
        seller_id = db.scalar(sa.select(Message.seller_id).where(Message.id == message_id))
        return RedirectResponse(
            f"/percakapan/{seller_id}?info=anotasi-{info}#pesan-{message_id}", status_code=303
        )
    return RedirectResponse(f"/anotasi?info={info}", status_code=303)


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
        {
            "ke": f"nlu/{export.FILE_NAME}",
            "ditulis": len(result.written),
            "dipindah": len(result.moved),
            "dilewati": skipped,
        },
    )
    return _page(request, db, staff, result)
