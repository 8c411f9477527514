"""/healthz: what `akar run` probes before it says the desk is up (no login, no personal data).

Healthy means the process answers and the database answers a trivial query.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.responses import JSONResponse

from bot.desk.state import DbSession

router = APIRouter()
log = logging.getLogger(__name__)


@router.get("/healthz")
def healthz(db: DbSession) -> JSONResponse:
    try:
        db.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        log.warning("desk health check: database unavailable: %s", exc.__class__.__name__)
        return JSONResponse({"status": "database unavailable"}, status_code=503)
    return JSONResponse({"status": "ok"})
