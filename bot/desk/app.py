"""The desk's ASGI application: `create_app(DeskConfig)`.

No OpenAPI or docs endpoints: this is a staff tool with server-rendered pages, not a public API,
and every route must sit behind the login (tests/desk check that for each registered route).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Final

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette.staticfiles import StaticFiles

from bot.desk import errors
from bot.desk.headers import SecurityHeaders
from bot.desk.metrics import RequestMetrics
from bot.desk.state import DeskConfig, DeskState
from bot.desk.views import (
    analytics,
    audit_log,
    broadcasts,
    conversation,
    exports,
    handoff_queue,
    health,
    home,
    inbox,
    login,
    nlu,
)

STATIC_DIR: Final = Path(__file__).resolve().parent / "static"
# Routes reachable without signing in; everything else depends on auth.current_staff.
PUBLIC_PATHS: Final = frozenset({"/masuk", "/healthz", "/readyz", "/metrics", "/static"})
# Every page module's router; a new page module is added here.
ROUTERS: Final[tuple[APIRouter, ...]] = (
    health.router,
    login.router,
    home.router,
    broadcasts.router,
    audit_log.router,
    analytics.router,
    inbox.router,
    conversation.router,
    handoff_queue.router,
    nlu.router,
    exports.router,
)


def desk_routes() -> list[APIRoute]:
    """Every route the app serves (tests check each one's login and role dependencies)."""
    return [route for router in ROUTERS for route in router.routes if isinstance(route, APIRoute)]


def create_app(config: DeskConfig) -> FastAPI:
    state = DeskState.open(config)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            state.engine.dispose()

    app = FastAPI(
        title="AKAR meja dukungan",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    app.state.desk = state
    app.add_middleware(SecurityHeaders)
    # Outermost: counts every response, error pages too.
    app.add_middleware(RequestMetrics, mounts=("/static",))
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in ROUTERS:
        app.include_router(router)
    errors.install(app)
    return app
