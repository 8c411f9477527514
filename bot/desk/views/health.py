"""Probes and metrics (no login, no personal data):

- /healthz: liveness, the process answers (what an orchestrator restarts on).
- /readyz: readiness, the database answers a trivial query (what `akar run` waits for and a
  load balancer routes on).
- /metrics: Prometheus text format (request counts and latency by route template, process
  figures). Not for the public internet: the proxy in front must not forward it.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.responses import JSONResponse, Response

from bot.desk.state import DbSession

router = APIRouter()
log = logging.getLogger(__name__)


@router.get("/healthz")
def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"})


@router.get("/readyz")
def readyz(db: DbSession) -> JSONResponse:
    try:
        db.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        log.warning("desk readiness: database unavailable: %s", exc.__class__.__name__)
        return JSONResponse({"status": "not ready", "checks": {"database": False}}, status_code=503)
    return JSONResponse({"status": "ready", "checks": {"database": True}})


@router.get("/metrics")
def metrics() -> Response:
    return Response(generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST})
