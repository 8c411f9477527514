"""/percakapan/{seller_id}: one seller's conversation, where staff review, annotate, take notes,
reply through Telegram and hand the chat back to the assistant (the link in the support chat's
handoff notice points here).

Every action is a POST form with the CSRF token. Success redirects back to the page (303, so a
reload never sends twice) with a short `info` code the page turns into a fixed message; a
mistake re-renders the page with the message next to the form and what was typed kept. The
forms also carry htmx attributes: htmx follows the redirect and swaps just `<main>`, so the
page updates in place without losing its scroll position. Each render shows the transcript and
is audited as a view; each action is audited with what it changed (never the message text).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Final

from fastapi import APIRouter, Form, HTTPException
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.db.models import MAX_ROW_ID, Direction, Message, Seller, utcnow
from bot.desk import labels, staff_bot
from bot.desk.audit import audit
from bot.desk.auth import DeskStaff, Staff
from bot.desk.paging import RowId
from bot.desk.state import DbSession, desk_state
from bot.desk.templating import render
from bot.desk.views import nlu
from bot.rendering import TELEGRAM_TEXT_LIMIT
from bot.support import annotations as nlu_annotations
from bot.support import inbox, queue
from bot.support.replies import UnknownSeller, hand_back, send_staff_reply

router = APIRouter()

# What the page says after an action (the redirect carries only the code).
INFO: Final = {
    "ditinjau": "Percakapan ditandai sudah ditinjau.",
    "belum-ditinjau": "Percakapan dikembalikan ke daftar belum ditinjau.",
    "catatan": "Catatan internal disimpan.",
    "anotasi": (
        "Anotasi disimpan. Ekspor di halaman Anotasi NLU supaya ikut dipelajari pada "
        "pelatihan berikutnya."
    ),
    "anotasi-diganti": (
        "Anotasi diganti: anotasi sebelumnya untuk pesan ini dihapus, yang baru menunggu ekspor."
    ),
    "anotasi-dihapus": "Anotasi dihapus. Anotasi itu tidak akan diekspor.",
    "anotasi-sudah-diekspor": nlu.INFO["sudah-diekspor"],
    "terkirim": "Balasan terkirim lewat Telegram.",
    "diblokir": (
        "Balasan tidak terkirim: penjual ini memblokir bot. Penjual ditandai tidak aktif."
    ),
    "gagal": (
        "Telegram menolak balasan ini, jadi tidak terkirim. Keterangannya ada di pesan "
        "paling bawah. Coba lagi, atau ubah isinya."
    ),
    "dikembalikan": "Chat dikembalikan ke asisten otomatis. Penjual sudah diberi tahu.",
    "dikembalikan-gagal": (
        "Chat dikembalikan ke asisten otomatis, tetapi pemberitahuan ke penjual tidak "
        "terkirim (lihat pesan paling bawah)."
    ),
    "bukan-penanganan": "Chat ini memang sedang dilayani asisten otomatis.",
}
GENERAL_GROUP: Final = "Intent umum"
NOTE_LIMIT: Final = inbox.MAX_NOTE_CHARS
EXAMPLE_LIMIT: Final = nlu_annotations.MAX_EXAMPLE_CHARS


@dataclass
class Feedback:
    """Messages and kept input for one re-render after a mistake."""

    errors: dict[str, str] = field(default_factory=dict)
    drafts: dict[str, str] = field(default_factory=dict)


def intent_groups() -> list[tuple[str, list[str]]]:
    """Annotation choices for the drop-down: one group per topic (its sub-questions), then the
    other intents."""
    groups: dict[str, list[str]] = {}
    for name in inbox.annotation_intents():
        topic, _, sub = name.partition("/")
        groups.setdefault(topic if sub else GENERAL_GROUP, []).append(name)
    general = groups.pop(GENERAL_GROUP, [])
    return sorted(groups.items()) + ([(GENERAL_GROUP, general)] if general else [])


def _is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _back(seller_id: int, info: str, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(
        f"/percakapan/{seller_id}?info={info}{'#' + anchor if anchor else ''}", status_code=303
    )


def _page(
    request: Request,
    db: Session,
    staff: Staff,
    seller_id: int,
    *,
    feedback: Feedback | None = None,
    info: str | None = None,
) -> Response:
    view = inbox.conversation(db, seller_id)
    if view is None:
        raise HTTPException(404)
    audit(db, staff.account_id, "view", "seller", seller_id)
    feedback = feedback or Feedback()
    config = desk_state(request).config
    now = utcnow()
    seller = view.seller
    since = queue.waiting_since(db, seller.id, seller.handoff_state, seller.handoff_at)
    waiting = max(0.0, (now - since).total_seconds()) if since else None
    status_code = 200 if not feedback.errors or _is_htmx(request) else 400
    return render(
        request,
        "percakapan.html",
        staff,
        status_code=status_code,
        view=view,
        seller=seller,
        info=INFO.get(info or ""),
        errors=feedback.errors,
        drafts=feedback.drafts,
        intent_groups=intent_groups(),
        status_names=labels.STATUS_NAMES,
        problem_statuses=labels.PROBLEM_STATUSES,
        plain_statuses=labels.PLAIN_STATUSES,
        kind_names=labels.KIND_NAMES,
        can_send=staff_bot.configured(config),
        no_token=staff_bot.NO_TOKEN,
        waiting=waiting,
        waiting_since=since,
        last_id=view.messages[-1].id if view.messages else 0,
        note_limit=NOTE_LIMIT,
        example_limit=EXAMPLE_LIMIT,
        reply_limit=TELEGRAM_TEXT_LIMIT,
        is_admin=nlu.is_admin(staff),
    )


@router.get("/percakapan/{seller_id}")
def conversation_page(
    request: Request, db: DbSession, staff: DeskStaff, seller_id: RowId, info: str = ""
) -> Response:
    return _page(request, db, staff, seller_id, info=info)


@router.post("/percakapan/{seller_id}/ditinjau")
def mark_reviewed(
    db: DbSession,
    staff: DeskStaff,
    seller_id: RowId,
    sampai: Annotated[int, Form(ge=0, le=MAX_ROW_ID)] = 0,
) -> Response:
    try:
        mark = inbox.mark_reviewed(db, seller_id, sampai or None)
    except LookupError:
        raise HTTPException(404) from None
    audit(db, staff.account_id, "review", "seller", seller_id, {"sampai_pesan": mark})
    return _back(seller_id, "ditinjau")


@router.post("/percakapan/{seller_id}/belum-ditinjau")
def mark_unreviewed(db: DbSession, staff: DeskStaff, seller_id: RowId) -> Response:
    try:
        inbox.mark_unreviewed(db, seller_id)
    except LookupError:
        raise HTTPException(404) from None
    audit(db, staff.account_id, "unreview", "seller", seller_id)
    return _back(seller_id, "belum-ditinjau")


@router.post("/percakapan/{seller_id}/catatan")
def add_note(
    request: Request,
    db: DbSession,
    staff: DeskStaff,
    seller_id: RowId,
    teks: Annotated[str, Form()] = "",
) -> Response:
    try:
        note = inbox.add_note(db, seller_id, staff.account_id, teks)
    except LookupError:
        raise HTTPException(404) from None
    except ValueError:
        message = (
            "Catatan kosong: tulis dulu isinya."
            if not teks.strip()
            else f"Catatan terlalu panjang (paling banyak {NOTE_LIMIT:,} karakter).".replace(
                ",", "."
            )
        )
        return _page(
            request,
            db,
            staff,
            seller_id,
            feedback=Feedback({"catatan": message}, {"catatan": teks}),
        )
    audit(db, staff.account_id, "note", "seller", seller_id, {"catatan": note.id})
    return _back(seller_id, "catatan", "catatan")


@router.post("/percakapan/{seller_id}/pesan/{message_id}/anotasi")
def annotate(
    request: Request,
    db: DbSession,
    staff: DeskStaff,
    seller_id: RowId,
    message_id: RowId,
    intent: Annotated[str, Form()] = "",
    contoh: Annotated[str, Form()] = "",
) -> Response:
    message = db.get(Message, message_id)
    if message is None or message.seller_id != seller_id or message.direction != Direction.IN:
        raise HTTPException(404)
    key = f"anotasi-{message_id}"
    error = None
    try:
        annotation = inbox.add_annotation(
            db,
            message_id,
            intent,
            contoh.strip() or None,
            account_id=staff.account_id,
            admin=nlu.is_admin(staff),
        )
    except inbox.UnknownIntent:
        error = "Pilih intent yang benar dari daftar."
    except inbox.NotAllowed as exc:
        authors = ", ".join(sorted({a or "akun yang sudah dihapus" for a in exc.authors}))
        error = (
            f"Pesan ini sudah punya anotasi dari {authors} yang menunggu ekspor. Hanya "
            "pembuatnya atau admin yang bisa mengganti atau menghapusnya."
        )
    except ValueError:
        error = (
            f"Contoh terlalu panjang (paling banyak {EXAMPLE_LIMIT} karakter)."
            if contoh.strip()
            else "Pesan ini tidak punya teks: tulis contoh kalimatnya."
        )
    if error is not None:
        return _page(
            request,
            db,
            staff,
            seller_id,
            feedback=Feedback({key: error}, {key: contoh, key + "-intent": intent}),
        )
    detail: dict[str, object] = {"intent": annotation.intent, "anotasi": annotation.id}
    if annotation.replaced:
        detail["menggantikan"] = list(annotation.replaced)
    audit(db, staff.account_id, "annotate", "message", message_id, detail)
    info = "anotasi-diganti" if annotation.replaced else "anotasi"
    return _back(seller_id, info, f"pesan-{message_id}")


@router.post("/percakapan/{seller_id}/balas")
async def reply(
    request: Request,
    db: DbSession,
    staff: DeskStaff,
    seller_id: RowId,
    teks: Annotated[str, Form()] = "",
) -> Response:
    """Send through Telegram (replies.send_staff_reply: stored, and the chat taken over if it
    was not in a handoff). The request's own session only audits, in the thread pool."""
    state = desk_state(request)
    problem = None
    if not teks.strip():
        problem = "Balasan kosong: tulis dulu isinya."
    elif len(teks.strip()) > TELEGRAM_TEXT_LIMIT:
        problem = "Balasan terlalu panjang: Telegram menerima paling banyak 4.096 karakter."
    seller = await run_in_threadpool(db.get, Seller, seller_id)
    if seller is None:
        raise HTTPException(404)
    taking_over = seller.handoff_state is None
    if problem is None:
        try:
            async with staff_bot.staff_bot(state.config) as bot:
                stored = await send_staff_reply(
                    bot, state.sessions, seller_id, staff.account_id, teks
                )
        except staff_bot.CannotSend as exc:
            problem = exc.message
        except UnknownSeller:
            raise HTTPException(404) from None
    if problem is not None:
        feedback = Feedback({"balas": problem}, {"balas": teks})
        return await run_in_threadpool(_page, request, db, staff, seller_id, feedback=feedback)
    status = stored.delivery_status or "sent"
    await run_in_threadpool(
        audit,
        db,
        staff.account_id,
        "reply",
        "seller",
        seller_id,
        {"pesan": stored.id, "status": status},
    )
    if taking_over and status != "blocked":
        await run_in_threadpool(audit, db, staff.account_id, "handoff", "seller", seller_id)
    info = {"sent": "terkirim", "blocked": "diblokir"}.get(status, "gagal")
    return _back(seller_id, info, "penanganan")


@router.post("/percakapan/{seller_id}/kembalikan")
async def release(request: Request, db: DbSession, staff: DeskStaff, seller_id: RowId) -> Response:
    """Hand the chat back to the assistant (replies.hand_back tells the seller)."""
    state = desk_state(request)
    try:
        async with staff_bot.staff_bot(state.config) as bot:
            notice = await hand_back(bot, state.sessions, seller_id)
    except staff_bot.CannotSend as exc:
        feedback = Feedback({"kembalikan": exc.message})
        return await run_in_threadpool(_page, request, db, staff, seller_id, feedback=feedback)
    except UnknownSeller:
        raise HTTPException(404) from None
    if notice is None:
        return _back(seller_id, "bukan-penanganan", "penanganan")
    status = notice.delivery_status or "sent"
    await run_in_threadpool(
        audit, db, staff.account_id, "release", "seller", seller_id, {"status": status}
    )
    return _back(seller_id, "dikembalikan" if status == "sent" else "dikembalikan-gagal")
