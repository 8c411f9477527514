"""Transcript downloads: one conversation, or every conversation the inbox shows for its
filters (the same query parameters as /kotak-masuk), as CSV or JSONL.

The body is streamed from a session of its own (bot/desk/exports.py). Each download is audited
before it starts, with the format and, for the inbox, the filters used: exporting personal data
is exactly what the audit log is for.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final, Literal

from fastapi import APIRouter, HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from bot.db.models import Seller, utcnow
from bot.desk import exports
from bot.desk.audit import audit
from bot.desk.auth import DeskStaff
from bot.desk.inbox_query import InboxQuery
from bot.desk.paging import RowId
from bot.desk.state import DbSession, desk_state

router = APIRouter()

Format = Literal["csv", "jsonl"]
MEDIA_TYPES: Final = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}


def _download(rows: Iterator[dict[str, Any]], fmt: Format, name: str) -> StreamingResponse:
    lines = exports.csv_lines(rows) if fmt == "csv" else exports.jsonl_lines(rows)
    return StreamingResponse(
        (line.encode("utf-8") for line in lines),
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'},
    )


@router.get("/ekspor/percakapan/{seller_id}.{fmt}")
def export_conversation(
    request: Request, db: DbSession, staff: DeskStaff, seller_id: RowId, fmt: Format
) -> Response:
    if db.get(Seller, seller_id) is None:
        raise HTTPException(404)
    audit(db, staff.account_id, "export", "seller", seller_id, {"format": fmt})
    rows = exports.conversation_rows(desk_state(request).sessions, seller_id)
    return _download(rows, fmt, f"percakapan-{seller_id}-{exports.filename_stamp(utcnow())}")


@router.get("/ekspor/kotak-masuk.{fmt}")
def export_inbox(request: Request, db: DbSession, staff: DeskStaff, fmt: Format) -> Response:
    query = InboxQuery.parse(request.query_params)
    audit(
        db,
        staff.account_id,
        "export",
        "page",
        "kotak-masuk",
        {"format": fmt, "saringan": query.params()},
    )
    rows = exports.inbox_rows(desk_state(request).sessions, query.to_filter())
    return _download(rows, fmt, f"kotak-masuk-{exports.filename_stamp(utcnow())}")
