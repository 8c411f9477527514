"""Sending outgoing messages to Telegram, with the failure policy in one place.

- Network errors and timeouts: retried with exponential backoff (a few attempts).
- 429 flood control: PTB's AIORateLimiter waits `retry_after` and retries.
- 403 (the seller blocked the bot): the seller is marked inactive and nothing is retried.
- Any other Bot API error: logged and recorded as failed; the bot carries on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.conversation import Assistant, Turn
from bot.observability import metrics
from bot.rendering import TELEGRAM_CAPTION_LIMIT, OutgoingMessage

log = logging.getLogger(__name__)

NETWORK_ATTEMPTS = 4
BACKOFF_SECONDS = 0.5


def keyboard_for(message: OutgoingMessage) -> InlineKeyboardMarkup | None:
    if not message.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.title, callback_data=b.payload) for b in row]
            for row in message.buttons
        ]
    )


async def with_network_retry(
    call: Callable[[], Awaitable[Message]], *, attempts: int = NETWORK_ATTEMPTS
) -> Message:
    """Retry transient network failures; Bad Request is not transient and is raised at once."""
    for attempt in range(1, attempts + 1):
        try:
            return await call()
        except BadRequest as exc:
            metrics.telegram_error("reply", exc)
            raise
        except RetryAfter as exc:  # the rate limiter already retried; one more honest wait
            metrics.telegram_error("reply", exc)
            if attempt == attempts:
                raise
            await asyncio.sleep(
                float(
                    exc.retry_after
                    if isinstance(exc.retry_after, int)
                    else exc.retry_after.total_seconds()
                )
            )
        except NetworkError as exc:
            metrics.telegram_error("reply", exc)
            if attempt == attempts:
                raise
            delay = BACKOFF_SECONDS * 2 ** (attempt - 1)
            log.warning(
                "network error sending (attempt %d), retrying in %.1fs: %s", attempt, delay, exc
            )
            await asyncio.sleep(delay)
        except TelegramError as exc:  # 403 and the rest: never retried, only counted
            metrics.telegram_error("reply", exc)
            raise
    raise AssertionError("unreachable")


async def send_one(bot: Bot, chat_id: int, message: OutgoingMessage) -> Message:
    markup = keyboard_for(message)
    caption = message.text[:TELEGRAM_CAPTION_LIMIT] or None
    media = message.media
    if media is not None:
        send = bot.send_photo if media.kind == "photo" else bot.send_document
        return await with_network_retry(
            lambda: send(
                chat_id,
                media.file_id,
                caption=caption,
                parse_mode=message.parse_mode,
                reply_markup=markup,
            )
        )
    document = message.document
    if document is not None:
        return await with_network_retry(
            lambda: bot.send_document(
                chat_id,
                document=InputFile(document.content, filename=document.filename),
                caption=message.text[:TELEGRAM_CAPTION_LIMIT] or None,
                reply_markup=markup,
            )
        )
    if message.image_url:
        try:
            return await with_network_retry(
                lambda: bot.send_photo(
                    chat_id,
                    photo=message.image_url or "",
                    caption=message.text[:TELEGRAM_CAPTION_LIMIT] or None,
                    reply_markup=markup,
                )
            )
        except BadRequest as exc:
            log.warning(
                "photo %s could not be sent (%s); sending text instead", message.image_url, exc
            )
            if not message.text:
                raise
    return await with_network_retry(
        lambda: bot.send_message(
            chat_id, message.text, parse_mode=message.parse_mode, reply_markup=markup
        )
    )


async def deliver_turn(
    bot: Bot, assistant: Assistant, chat_id: int, telegram_user_id: int, turn: Turn
) -> None:
    """Send every message of a turn in order and record each outcome in the transcript, then
    the turn's notices to other chats (the support team's)."""
    await _deliver_messages(bot, assistant, chat_id, telegram_user_id, turn)
    if turn.messages:
        metrics.turn_answered()
    for notice in turn.notices:
        try:
            await send_one(bot, notice.chat_id, notice.message)
        except TelegramError as exc:
            # Staff still see the handoff in the desk's queue; the seller's turn is unaffected.
            log.error("could not notify chat %s: %s", notice.chat_id, exc)


async def _deliver_messages(
    bot: Bot, assistant: Assistant, chat_id: int, telegram_user_id: int, turn: Turn
) -> None:
    for message in turn.messages:
        try:
            sent = await send_one(bot, chat_id, message)
        except Forbidden as exc:
            log.info("chat %s blocked the bot; marking the seller inactive", chat_id)
            await assistant.record_sent(
                turn, message, telegram_message_id=None, status="blocked", error=str(exc)
            )
            await assistant.mark_blocked(telegram_user_id)
            metrics.reply_outcome("blocked")
            return
        except TelegramError as exc:
            log.error("could not deliver a reply to chat %s: %s", chat_id, exc)
            metrics.reply_outcome("failed")
            await assistant.record_sent(
                turn, message, telegram_message_id=None, status="failed", error=str(exc)
            )
            continue
        await assistant.record_sent(turn, message, telegram_message_id=sent.message_id)
        metrics.reply_outcome("sent")
