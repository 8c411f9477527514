"""Process-wide logging: one format per process, and secrets never reach a log line.

httpx logs every request URL at INFO, and Bot API URLs contain the bot token, so httpx is
quietened, and every formatted line (message, extra fields and traceback alike) has the token,
the webhook secret and the desk's key masked.

LOG_FORMAT=text (the default) writes one readable line per record. LOG_FORMAT=json writes one
JSON object per line, for a log collector: `timestamp` (UTC, ISO 8601), `level`, `logger`,
`message`, `service` (bot, web, actions, sender, ...), `process` (pid), any `extra={...}`
fields, and `exc_info` with the traceback. Chat ids may be logged; what sellers write is not
(tests/test_logging.py and tests/e2e/test_observability.py check both).
"""

from __future__ import annotations

import json
import logging
from typing import Final

from pythonjsonlogger.json import JsonFormatter

from bot.config import Settings

TEXT_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JSON_FIELDS: Final = ["levelname", "name", "message", "process"]
NOISY_LOGGERS: Final = ("httpx", "httpcore", "apscheduler", "alembic")


class Redacted(logging.Formatter):
    """Formats with `inner`, then masks each secret in the finished line (as written, and as
    it appears inside a JSON string)."""

    def __init__(self, inner: logging.Formatter, secrets: list[str]) -> None:
        super().__init__()
        self._inner = inner
        forms = {form for s in secrets if s for form in (s, json.dumps(s)[1:-1])}
        self._secrets = sorted(forms, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        line = self._inner.format(record)
        for secret in self._secrets:
            line = line.replace(secret, "***")
        return line


def json_formatter(service: str) -> logging.Formatter:
    return JsonFormatter(
        JSON_FIELDS,
        rename_fields={"levelname": "level", "name": "logger"},
        static_fields={"service": service},
        timestamp=True,
    )


def secrets_of(settings: Settings) -> list[str]:
    return [
        secret.get_secret_value()
        for secret in (
            settings.telegram_bot_token,
            settings.telegram_webhook_secret,
            settings.web_secret_key,
        )
        if secret is not None
    ]


def make_handler(settings: Settings, service: str) -> logging.Handler:
    handler = logging.StreamHandler()
    inner = (
        json_formatter(service) if settings.log_format == "json" else logging.Formatter(TEXT_FORMAT)
    )
    handler.setFormatter(Redacted(inner, secrets_of(settings)))
    return handler


def configure_logging(settings: Settings, service: str = "akar") -> None:
    root = logging.getLogger()
    root.handlers[:] = [make_handler(settings, service)]
    root.setLevel(settings.log_level.upper())
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.WARNING)


def action_server_handler(service: str = "actions") -> logging.Handler:
    """The action server's handler (rasa-sdk applies `actions_logging.yml` with dictConfig
    when `akar run` or a container starts it with LOG_FORMAT=json)."""
    return make_handler(Settings(), service)
