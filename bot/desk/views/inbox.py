"""/kotak-masuk: every conversation, newest first, with the filters of `InboxQuery`.

The filter form is a plain GET form (bookmarkable, works without JavaScript); with htmx a change
reloads only the list (`#daftar`) and updates the address bar. An htmx request therefore gets
only the list fragment. Rows show names and message snippets, so every view is audited with
the filters used.
"""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from bot.desk.audit import audit
from bot.desk.auth import DeskStaff
from bot.desk.inbox_query import (
    LOW_CONFIDENCE_PERCENT,
    REVIEW_CHOICES,
    InboxQuery,
    filter_intents,
)
from bot.desk.paging import PageNumber, Pager
from bot.desk.state import DbSession
from bot.desk.templating import render
from bot.support.flags import NONE, conversation_flags
from bot.support.inbox import list_conversations

router = APIRouter()

PER_PAGE: Final = 25


def is_htmx_fragment(request: Request) -> bool:
    """An htmx swap (not a history restore, which needs the whole page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


@router.get("/kotak-masuk")
def inbox(request: Request, db: DbSession, staff: DeskStaff, halaman: PageNumber = 1) -> Response:
    query = InboxQuery.parse(request.query_params)
    found = list_conversations(db, query.to_filter(), page=halaman, per_page=PER_PAGE)
    flags = conversation_flags(db, [item.seller_id for item in found.items])
    audit(
        db,
        staff.account_id,
        "view",
        "page",
        "kotak-masuk",
        {"halaman": halaman, "saringan": query.params()},
    )
    return render(
        request,
        "_kotak_masuk_daftar.html" if is_htmx_fragment(request) else "kotak_masuk.html",
        staff,
        query=query,
        rows=[(item, flags.get(item.seller_id, NONE)) for item in found.items],
        pager=Pager(halaman, PER_PAGE, found.total),
        intents=filter_intents(),
        review_choices=REVIEW_CHOICES,
        low_confidence=LOW_CONFIDENCE_PERCENT,
    )
