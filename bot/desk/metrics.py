"""Request counts and latency of the desk for Prometheus, as plain ASGI middleware.

Labelled by the matched route's template (`/percakapan/{seller_id}`), never the raw path: raw
paths carry seller ids and would grow a series per seller. Query strings (search terms) never
reach a label. Requests that match no route count as `unmatched`. `/metrics` (views/health.py)
serves these with the rest of the process's default registry; like the whole desk it listens on
127.0.0.1 by default, and in production it must be kept off the public side of the proxy.
"""

from __future__ import annotations

import time
from typing import Final

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUESTS: Final = Counter(
    "akar_desk_requests",
    "Support desk HTTP requests, by method, route template and status code.",
    ["method", "route", "status"],
)
LATENCY: Final = Histogram(
    "akar_desk_request_duration_seconds",
    "Support desk request duration (to the end of the body), by method and route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
UNMATCHED: Final = "unmatched"
KNOWN_METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_template(scope: Scope, mounts: tuple[str, ...] = ()) -> str:
    """The template of the route the router matched (FastAPI keeps it in the scope), else the
    mount the path falls under (`/static`), else `unmatched`."""
    path = getattr(scope.get("route"), "path", None)
    if isinstance(path, str) and path:
        return path
    raw = str(scope.get("path", ""))
    return next((m for m in mounts if raw.startswith(m + "/")), UNMATCHED)


class RequestMetrics:
    def __init__(self, app: ASGIApp, mounts: tuple[str, ...] = ()) -> None:
        self.app = app
        self.mounts = mounts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets if the app raises before answering

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            method = scope.get("method", "GET")
            method = method if method in KNOWN_METHODS else "OTHER"
            route = route_template(scope, self.mounts)
            REQUESTS.labels(method, route, str(status)).inc()
            LATENCY.labels(method, route).observe(time.perf_counter() - started)
