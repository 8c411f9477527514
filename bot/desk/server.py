"""`akar web`: serve the desk with uvicorn on WEB_HOST:WEB_PORT.

Logging goes through the project's own configuration (`log_config=None`). Uvicorn's access log
is kept but without query strings: search filters may contain sellers' names or messages, and
logs are not the place for personal data. `proxy_headers` lets a TLS proxy on this machine say
the request was HTTPS (X-Forwarded-Proto), so cookies get the Secure flag.
"""

from __future__ import annotations

import logging

import uvicorn

from bot.config import Settings
from bot.desk.app import create_app
from bot.desk.state import DeskConfig

log = logging.getLogger(__name__)


class DropQueryStrings(logging.Filter):
    """uvicorn.access records are (client, method, path?query, http version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (args[0], args[1], args[2].split("?", 1)[0], args[3], args[4])
        return True


def serve(settings: Settings) -> int:
    app = create_app(DeskConfig.from_settings(settings))
    logging.getLogger("uvicorn.access").addFilter(DropQueryStrings())
    loopback = settings.web_host in ("127.0.0.1", "localhost", "::1")
    if not loopback and not settings.web_secure_cookies:
        log.warning(
            "the desk listens on %s: serve it only behind HTTPS (and set WEB_SECURE_COOKIES)",
            settings.web_host,
        )
    if settings.web_secret_key is None:
        log.info("WEB_SECRET_KEY not set: login forms are signed with a key for this process only")
    uvicorn.run(
        app,
        host=settings.web_host,
        port=settings.web_port,
        log_config=None,
        proxy_headers=True,
        server_header=False,
    )
    return 0
