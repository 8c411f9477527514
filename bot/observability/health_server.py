"""A tiny HTTP server for orchestrators and Prometheus: /healthz, /readyz and /metrics.

It runs on the process's own event loop (aiohttp), so /healthz answering also proves the loop is
not stuck. /readyz runs the process's readiness checks concurrently, each bounded by a timeout,
and answers 200 only if all pass; the body names each check (no personal data, no secrets).
Access logging is off: probes every few seconds would drown the real log lines.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Final

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

Check = Callable[[], Awaitable[bool]]
PATHS: Final = ("/healthz", "/readyz", "/metrics")
CHECK_TIMEOUT: Final = 3.0  # under the usual probe timeout, so a hung check fails, not the probe


def database_check(sessions: sessionmaker[Session]) -> Check:
    """Ready when the database answers `SELECT 1` (in a worker thread: the driver blocks)."""

    def select_one() -> None:
        with sessions() as session:
            session.execute(text("SELECT 1"))

    async def check() -> bool:
        await asyncio.to_thread(select_one)
        return True

    return check


class HealthServer:
    def __init__(
        self,
        checks: Mapping[str, Check],
        *,
        host: str,
        port: int,
        timeout: float = CHECK_TIMEOUT,
    ) -> None:
        self._checks = dict(checks)
        self._host = host
        self._port = port
        self._timeout = timeout
        self._runner: web.AppRunner | None = None
        self._last: dict[str, bool] = {}

    def application(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        return app

    @property
    def url(self) -> str:
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self._port}"

    async def start(self) -> None:
        self._runner = web.AppRunner(self.application(), access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self._host, self._port).start()
        log.info("health and metrics on %s (/healthz, /readyz, /metrics)", self.url)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def readiness(self) -> dict[str, bool]:
        names = list(self._checks)
        results = dict(zip(names, await asyncio.gather(*map(self._run, names)), strict=True))
        for name, passed in results.items():
            # Logged when a check changes, not at every probe.
            if self._last.get(name, True) and not passed:
                log.warning("not ready: %s check failing", name)
            elif passed and self._last.get(name) is False:
                log.info("%s check passing again", name)
        self._last = results
        return results

    async def _run(self, name: str) -> bool:
        try:
            return bool(await asyncio.wait_for(self._checks[name](), timeout=self._timeout))
        except Exception as exc:  # a failing check is an answer ("not ready"), never a 500
            log.debug("readiness check %s: %r", name, exc)
            return False

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _readyz(self, request: web.Request) -> web.Response:
        checks = await self.readiness()
        ready = all(checks.values())
        return web.json_response(
            {"status": "ready" if ready else "not ready", "checks": checks},
            status=200 if ready else 503,
        )

    async def _metrics(self, request: web.Request) -> web.Response:
        return web.Response(
            body=generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )
