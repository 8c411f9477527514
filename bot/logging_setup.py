"""Process-wide logging: one format, and secrets never reach a log line.

httpx logs every request URL at INFO, and Bot API URLs contain the bot token, so httpx is
quietened and a filter masks the token wherever it might still appear.
"""

from __future__ import annotations

import logging

from bot.config import Settings


class RedactSecrets(logging.Filter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        redacted = message
        for secret in self._secrets:
            redacted = redacted.replace(secret, "***")
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    secrets = [
        settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else "",
        settings.telegram_webhook_secret.get_secret_value()
        if settings.telegram_webhook_secret
        else "",
        settings.web_secret_key.get_secret_value() if settings.web_secret_key else "",
    ]
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
    for noisy in ("httpx", "httpcore", "apscheduler", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
