"""/perlu-ditangani: sellers in a handoff, the longest-waiting first (waiting counts from the
seller's oldest message staff have not answered: bot/support/queue.py), each linking to the
conversation where staff reply and hand the chat back. Names and messages are shown, so every
view is audited."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from bot.db.models import utcnow
from bot.desk.audit import audit
from bot.desk.auth import DeskStaff
from bot.desk.state import DbSession
from bot.desk.templating import render
from bot.support.queue import handoff_queue

router = APIRouter()


@router.get("/perlu-ditangani")
def waiting_queue(request: Request, db: DbSession, staff: DeskStaff) -> Response:
    waiting = handoff_queue(db)
    audit(db, staff.account_id, "view", "page", "perlu-ditangani")
    now = utcnow()
    rows = [(item, item.waiting_seconds(now)) for item in waiting]
    return render(
        request,
        "perlu_ditangani.html",
        staff,
        rows=rows,
        waiting_count=sum(1 for _, seconds in rows if seconds is not None),
    )
