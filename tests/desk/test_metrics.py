"""The desk's /readyz and /metrics: no login, readiness from the database, and request metrics
labelled by route template only (no seller id, no query string, no raw path)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session, sessionmaker

from bot.db.models import Role
from bot.desk.app import create_app, desk_routes
from bot.desk.state import DeskConfig
from tests.desk.conftest import client_for
from tests.desk.support import login, make_staff
from tests.harness import free_port

SELLER_ID = 987654


def request_labels(text: str) -> list[dict[str, str]]:
    return [
        sample.labels
        for family in text_string_to_metric_families(text)
        if family.name in ("akar_desk_requests", "akar_desk_request_duration_seconds")
        for sample in family.samples
    ]


async def test_metrics_are_labelled_by_route_template_only(
    client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    make_staff(sessions, "sari", 101, Role.ADMIN)
    await login(client, "sari")
    await client.get(f"/percakapan/{SELLER_ID}")
    await client.get("/kotak-masuk", params={"cari": "Budi-0812-rahasia"})
    await client.get(f"/tidak-ada/{SELLER_ID}")
    await client.get("/static/desk.css")

    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    labels = request_labels(response.text)
    routes = {label["route"] for label in labels if "route" in label}
    assert {"/percakapan/{seller_id}", "/kotak-masuk", "/masuk", "/static", "unmatched"} <= routes
    templates = {route.path for route in desk_routes()} | {"/static", "unmatched"}
    assert routes <= templates
    assert str(SELLER_ID) not in response.text
    assert "Budi" not in response.text and "rahasia" not in response.text
    statuses = {(label["route"], label["status"]) for label in labels if "status" in label}
    assert ("unmatched", "404") in statuses
    assert ("/masuk", "303") in statuses  # the login POST redirects


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
async def test_readyz_is_not_ready_without_a_database(tmp_path: Path, engine: str) -> None:
    if engine == "sqlite":
        # A directory that does not exist: SQLite cannot open the file, as with a database down.
        url = f"sqlite:///{tmp_path / 'missing' / 'akar.db'}"
    else:
        # A loopback port nothing listens on: a PostgreSQL server that is down.
        url = f"postgresql+psycopg://akar@127.0.0.1:{free_port()}/akar"
    app = create_app(DeskConfig(url))
    try:
        async with client_for(app) as client:
            alive = await client.get("/healthz")
            assert alive.status_code == 200
            ready = await client.get("/readyz")
            assert ready.status_code == 503
            assert ready.json() == {"status": "not ready", "checks": {"database": False}}
    finally:
        app.state.desk.engine.dispose()
