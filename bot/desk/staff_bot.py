"""The desk's own `telegram.Bot`, for staff replies and hand-backs (bot/support/replies.py).

One Bot per action, opened and closed around it (`async with`, which also asks Telegram who the
bot is, so a wrong token fails here with a clear message rather than half-way through). Staff
send a handful of messages an hour, so a connection per action costs nothing worth keeping a
long-lived client for, and nothing outlives the request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final

from telegram import Bot
from telegram.error import InvalidToken, TelegramError

from bot.desk.state import DeskConfig

NO_TOKEN: Final = (
    "Pesan tidak bisa dikirim dari meja dukungan: token bot Telegram (TELEGRAM_BOT_TOKEN) "
    "belum diatur di server. Minta admin mengaturnya, lalu jalankan ulang meja dukungan."
)
BAD_TOKEN: Final = (
    "Telegram menolak token bot (TELEGRAM_BOT_TOKEN) yang diatur di server. "
    "Minta admin memeriksanya. Pesan tidak terkirim."
)
UNREACHABLE: Final = (
    "Telegram tidak bisa dihubungi saat ini, jadi pesan tidak terkirim. Coba lagi sebentar lagi."
)


class CannotSend(Exception):
    """The desk cannot talk to Telegram; `message` says why, in Indonesian, for staff."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def configured(config: DeskConfig) -> bool:
    return bool(config.telegram_bot_token)


@asynccontextmanager
async def staff_bot(config: DeskConfig) -> AsyncIterator[Bot]:
    """An initialised Bot; raises CannotSend when there is no token, the token is refused or
    Telegram does not answer (errors while sending are the caller's: replies.py records them)."""
    if not config.telegram_bot_token:
        raise CannotSend(NO_TOKEN)
    try:
        bot = Bot(config.telegram_bot_token, base_url=config.telegram_api_base_url)
        await bot.initialize()
    except InvalidToken as exc:
        raise CannotSend(BAD_TOKEN) from exc
    except TelegramError as exc:
        raise CannotSend(UNREACHABLE) from exc
    try:
        yield bot
    finally:
        await bot.shutdown()
