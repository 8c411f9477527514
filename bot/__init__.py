"""Telegram front end, storage and tooling of the AKAR Indonesia seller assistant."""

import os as _os

# Opt in now to python-telegram-bot's future API: RetryAfter.retry_after as a timedelta
# (otherwise every 429 logs a deprecation warning). Must happen before `telegram` is imported.
_os.environ.setdefault("PTB_TIMEDELTA", "1")
