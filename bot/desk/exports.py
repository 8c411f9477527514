"""Transcripts as CSV (for Excel) and JSONL (for tools): one row per message.

Rows are produced lazily from a session of their own (the request's session is closed before a
streamed body is sent) and read in batches, so an export of many conversations never sits
whole in memory. CSV starts with a UTF-8 byte order mark, without which Excel reads UTF-8 as
the local code page and mangles names and emoji; every text cell that a spreadsheet would take
for a formula (starting with = + - @, or a tab or carriage return) gets a leading apostrophe.
JSONL is left as it is: it is data for programs, not a spreadsheet.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from bot.broadcast.schedule import ZONES
from bot.db.models import Direction, Message, Seller, StaffAccount
from bot.privacy.masking import mask_entities, mask_optional
from bot.support.inbox import InboxFilter, list_conversations

WIB: Final = ZONES["WIB"]
BOM: Final = "\ufeff"
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
BATCH: Final = 500
PAGE: Final = 100

COLUMNS: Final = (
    "percakapan",
    "penjual",
    "username",
    "pesan",
    "waktu_wib",
    "arah",
    "jenis",
    "teks",
    "intent",
    "keyakinan",
    "entitas",
    "status",
    "galat",
    "penilaian",
    "membalas_pesan",
    "ditulis_staf",
)
DIRECTIONS: Final = {Direction.IN: "masuk", Direction.OUT: "keluar"}
FEEDBACK: Final = {"up": "👍", "down": "👎"}


def safe_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as text, never runs as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _name(seller: Seller) -> str:
    return " ".join(part for part in (seller.first_name, seller.last_name) if part)


def _row(message: Message, seller: Seller, author: str | None) -> dict[str, Any]:
    return {
        "percakapan": seller.id,
        "penjual": _name(seller),
        "username": seller.username,
        "pesan": message.id,
        "waktu_wib": message.created_at.astimezone(WIB).strftime("%Y-%m-%d %H:%M:%S"),
        "arah": DIRECTIONS.get(message.direction, str(message.direction)),
        "jenis": message.kind,
        # Masked again: rows stored before masking existed (bot/privacy/masking.py).
        "teks": mask_optional(message.text),
        "intent": message.intent,
        "keyakinan": None if message.confidence is None else round(message.confidence, 4),
        "entitas": mask_entities(message.entities) or [],
        "status": message.delivery_status,
        "galat": message.error,
        "penilaian": FEEDBACK.get(message.feedback or "", message.feedback),
        "membalas_pesan": message.in_reply_to_id,
        "ditulis_staf": author,
    }


def _messages_of(session: Session, seller_ids: list[int]) -> Iterator[dict[str, Any]]:
    """Every message of these sellers, conversation by conversation, oldest first."""
    for seller_id in seller_ids:
        seller = session.get(Seller, seller_id)
        if seller is None:
            continue
        last_id = 0
        while True:
            batch = session.execute(
                sa.select(Message, StaffAccount.username)
                .outerjoin(StaffAccount, StaffAccount.id == Message.sent_by_account_id)
                .where(Message.seller_id == seller_id, Message.id > last_id)
                .order_by(Message.id)
                .limit(BATCH)
            ).all()
            for message, author in batch:
                yield _row(message, seller, author)
            if len(batch) < BATCH:
                break
            last_id = batch[-1][0].id
            session.expunge_all()


def conversation_rows(sessions: sessionmaker[Session], seller_id: int) -> Iterator[dict[str, Any]]:
    with sessions() as session:
        yield from _messages_of(session, [seller_id])


def inbox_rows(sessions: sessionmaker[Session], filters: InboxFilter) -> Iterator[dict[str, Any]]:
    """The messages of every conversation the inbox shows for `filters`, in the inbox's order.
    The seller ids are listed first (one id per conversation), so conversations arriving while
    the export streams neither appear half nor shift the pages."""
    with sessions() as session:
        ids: list[int] = []
        page = 1
        while True:
            found = list_conversations(session, filters, page=page, per_page=PAGE)
            ids += [item.seller_id for item in found.items]
            if not found.has_next:
                break
            page += 1
        yield from _messages_of(session, ids)


def csv_lines(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """BOM and header first, then one CSV record per row (lists and dicts as JSON text)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(COLUMNS)
    yield BOM + flush()
    for row in rows:
        cells = []
        for column in COLUMNS:
            value = row[column]
            if isinstance(value, list | dict):
                value = json.dumps(value, ensure_ascii=False)
            cells.append(safe_cell("" if value is None else value))
        writer.writerow(cells)
        yield flush()


def jsonl_lines(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    for row in rows:
        yield json.dumps(row, ensure_ascii=False) + "\n"


def filename_stamp(now: datetime) -> str:
    return now.astimezone(WIB).strftime("%Y%m%d-%H%M")
