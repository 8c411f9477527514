"""/laporan-siaran: broadcasts with their delivery figures, the desk's view of
`akar broadcast status`.

Trainers see the broadcasts they own (`broadcasts.created_by` is their Telegram id); support
and admins see all. Drip steps are left out as in `akar broadcast list` (`akar drip list`).
Figures for one page come from one grouped query, then `outbox.Report` computes totals,
duration and rate exactly as the Telegram report does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from fastapi import APIRouter
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from bot.broadcast.outbox import STATUS_NAMES, Report
from bot.db.models import Broadcast, BroadcastDelivery, Role
from bot.desk.auth import ReportsStaff, Staff
from bot.desk.paging import PageNumber, Pager
from bot.desk.state import DbSession
from bot.desk.templating import render
from bot.support.analytics import broadcast_preview

router = APIRouter()

PER_PAGE: Final = 20
PREVIEW_CHARS: Final = 80


@dataclass(frozen=True)
class BroadcastLine:
    broadcast: Broadcast
    report: Report

    @property
    def status_name(self) -> str:
        return STATUS_NAMES.get(self.broadcast.status, self.broadcast.status)

    @property
    def preview(self) -> str:
        """The first line as plain text: a /siaran broadcast is stored as Telegram HTML, so its
        tags are removed and entities decoded here, and the template escapes the result."""
        return broadcast_preview(self.broadcast.text, self.broadcast.parse_mode, PREVIEW_CHARS)

    @property
    def waiting(self) -> int:
        return self.report.counts.get("pending", 0) + self.report.counts.get("sending", 0)


def _visible(staff: Staff) -> Select[Broadcast]:
    query = select(Broadcast).where(Broadcast.status != "drip")
    if staff.role is Role.TRAINER:
        query = query.where(Broadcast.created_by == staff.telegram_user_id)
    return query


def broadcast_page(session: Session, staff: Staff, page: int) -> tuple[list[BroadcastLine], Pager]:
    query = _visible(staff)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pager = Pager(page, PER_PAGE, int(total))
    broadcasts = session.scalars(
        query.order_by(Broadcast.id.desc()).offset(pager.offset).limit(PER_PAGE)
    ).all()
    counts: dict[int, dict[str, int]] = {b.id: {} for b in broadcasts}
    if broadcasts:
        for broadcast_id, status, n in session.execute(
            select(BroadcastDelivery.broadcast_id, BroadcastDelivery.status, func.count())
            .where(BroadcastDelivery.broadcast_id.in_(counts))
            .group_by(BroadcastDelivery.broadcast_id, BroadcastDelivery.status)
        ):
            counts[broadcast_id][status] = int(n)
    lines = [
        BroadcastLine(b, Report(b.id, b.status, counts[b.id], b.started_at, b.finished_at))
        for b in broadcasts
    ]
    return lines, pager


@router.get("/laporan-siaran")
def broadcast_reports(
    request: Request, db: DbSession, staff: ReportsStaff, halaman: PageNumber = 1
) -> Response:
    lines, pager = broadcast_page(db, staff, halaman)
    return render(
        request,
        "laporan_siaran.html",
        staff,
        lines=lines,
        pager=pager,
        own_only=staff.role is Role.TRAINER,
    )
