"""The health server over real HTTP: liveness, readiness that follows its checks (a failing, a
raising and a hanging check are all "not ready", answered within the timeout), the database
check against a real SQLite file and a missing one, and the Prometheus exposition."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.db.migrate import upgrade
from bot.db.session import make_engine, make_session_factory
from bot.observability import metrics, probe
from bot.observability.health_server import Check, HealthServer, database_check
from tests.harness import free_port


class Switch:
    """A readiness check the test turns on and off (what a real dependency does by itself)."""

    def __init__(self) -> None:
        self.on = False

    async def __call__(self) -> bool:
        return self.on


async def hangs() -> bool:
    await asyncio.Event().wait()
    return True


async def raises() -> bool:
    raise ConnectionError("refused")


@pytest.fixture
def sqlite_check(tmp_path: Path) -> Check:
    url = f"sqlite:///{tmp_path / 'akar.db'}"
    upgrade(url)
    return database_check(make_session_factory(make_engine(url)))


async def serving(checks: dict[str, Check], timeout: float = 3.0) -> AsyncIterator[str]:
    server = HealthServer(checks, host="127.0.0.1", port=free_port(), timeout=timeout)
    await server.start()
    try:
        yield server.url
    finally:
        await server.stop()


async def test_readyz_follows_its_checks(sqlite_check: Check) -> None:
    switch = Switch()
    async for url in serving({"database": sqlite_check, "telegram": switch}):
        async with httpx.AsyncClient() as client:
            assert (await client.get(f"{url}/healthz")).json() == {"status": "ok"}
            first = await client.get(f"{url}/readyz")
            assert first.status_code == 503
            assert first.json() == {
                "status": "not ready",
                "checks": {"database": True, "telegram": False},
            }
            switch.on = True
            second = await client.get(f"{url}/readyz")
            assert second.status_code == 200
            assert second.json()["status"] == "ready"


async def test_a_hanging_or_raising_check_is_not_ready_within_the_timeout(
    sqlite_check: Check,
) -> None:
    async for url in serving({"database": sqlite_check, "slow": hangs, "broken": raises}, 0.3):
        async with httpx.AsyncClient() as client:
            started = time.perf_counter()
            response = await client.get(f"{url}/readyz")
            assert time.perf_counter() - started < 2.0
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": True, "slow": False, "broken": False}


async def test_database_check_fails_when_the_database_cannot_be_opened(tmp_path: Path) -> None:
    missing = make_session_factory(make_engine(f"sqlite:///{tmp_path / 'no' / 'such.db'}"))
    async for url in serving({"database": database_check(missing)}):
        async with httpx.AsyncClient() as client:
            response = await client.get(f"{url}/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": False}


async def test_metrics_in_prometheus_text_format() -> None:
    metrics.update_received("text")
    metrics.broadcast_rate_limit(25)
    async for url in serving({}):
        async with httpx.AsyncClient() as client:
            response = await client.get(f"{url}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; version=1.0.0; charset=utf-8"
    assert 'akar_updates_received_total{kind="text"}' in response.text
    assert "akar_broadcast_rate_limit 25.0" in response.text
    assert "# TYPE akar_reply_latency_seconds histogram" in response.text


def test_rate_meter_counts_the_last_window_only() -> None:
    meter = metrics.RateMeter(window=10.0)
    meter.add(25, now=100.0)
    meter.add(25, now=101.0)
    assert meter.rate(now=101.5) == 5.0
    assert meter.rate(now=110.5) == 2.5  # the first batch left the window
    assert meter.rate(now=200.0) == 0.0


async def test_the_containers_probe_follows_readiness(sqlite_check: Check) -> None:
    """`python -m bot.observability.probe URL` (compose healthchecks) against a real server."""
    switch = Switch()
    async for url in serving({"database": sqlite_check, "telegram": switch}):
        assert await asyncio.to_thread(probe.probe, f"{url}/healthz")
        assert not await asyncio.to_thread(probe.probe, f"{url}/readyz")
        switch.on = True
        assert await asyncio.to_thread(probe.main, [f"{url}/readyz"]) == 0
