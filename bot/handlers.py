"""Telegram update handlers: small, async, and Telegram-only.

Each handler turns an update into a call on the shared `Assistant` and hands the resulting turn to
`deliver_turn`. Updates are processed concurrently across chats but in order within a chat
(`chat_lock`), so a seller's answers never overtake each other.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from telegram import Update
from telegram.ext import ContextTypes

from bot.compose.flow import Content
from bot.conversation import HELP_COMMANDS, Assistant, Turn
from bot.delivery import deliver_turn
from bot.learning.callbacks import LearningAction
from bot.store import SellerIdentity
from bot.webhook.worker import report_error

log = logging.getLogger(__name__)

# Slash commands that are shortcuts for a Rasa intent; anything else gets a help reply.
# (/bantuan and /help are answered locally: conversation.HELP_COMMANDS.)
COMMAND_PAYLOADS: dict[str, str] = {
    "cod": "/tanya_cod",
    "ongkir": "/tanya_ongkir",
}
# Learning screens come straight from the database (they work even while Rasa restarts).
LEARNING_COMMANDS: dict[str, LearningAction] = {
    "modul": LearningAction("catalogue"),
    "progres": LearningAction("progress"),
    "lanjut": LearningAction("resume"),
}

_chat_locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()


@asynccontextmanager
async def chat_lock(chat_id: int) -> AsyncIterator[None]:
    lock = _chat_locks.get(chat_id)
    if lock is None:
        lock = asyncio.Lock()
        _chat_locks[chat_id] = lock
    async with lock:
        yield


async def chat_idle(chat_id: int) -> None:
    """Wait until the chat's current update is fully handled (sent and recorded)."""
    lock = _chat_locks.get(chat_id)
    if lock is not None:
        async with lock:
            pass


def identity(update: Update) -> SellerIdentity | None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return None
    return SellerIdentity(
        telegram_user_id=user.id,
        chat_id=chat.id,
        first_name=user.first_name,
        last_name=user.last_name,
        username=user.username,
        language_code=user.language_code,
    )


def assistant_of(context: ContextTypes.DEFAULT_TYPE) -> Assistant:
    assistant: Assistant = context.bot_data["assistant"]
    return assistant


async def _deliver(context: ContextTypes.DEFAULT_TYPE, who: SellerIdentity, turn: Turn) -> None:
    await deliver_turn(context.bot, assistant_of(context), who.chat_id, who.telegram_user_id, turn)


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    who, message = identity(update), update.effective_message
    if who is None or message is None:
        return
    async with chat_lock(who.chat_id):
        turn = await assistant_of(context).handle_start(who, telegram_message_id=message.message_id)
        await _deliver(context, who, turn)


async def on_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    who, message = identity(update), update.effective_message
    if who is None or message is None or not message.text:
        return
    command = message.text.split()[0].split("@")[0]
    name = command.lstrip("/").lower()
    async with chat_lock(who.chat_id):
        if name in HELP_COMMANDS:
            turn = await assistant_of(context).handle_help(
                who, command, telegram_message_id=message.message_id
            )
        elif name == "idsaya":
            turn = await assistant_of(context).handle_whoami(
                who, command, telegram_message_id=message.message_id
            )
        elif name in ("privasi", "hapusdata"):
            turn = await assistant_of(context).handle_privacy_command(
                who, command, telegram_message_id=message.message_id
            )
        elif name in ("siaran", "batal"):
            turn = await assistant_of(context).handle_compose_command(
                who, command, telegram_message_id=message.message_id
            )
        elif name == "peran":
            turn = await assistant_of(context).handle_role_command(
                who, message.text, telegram_message_id=message.message_id
            )
        elif name in ("berhenti", "mulai"):
            turn = await assistant_of(context).handle_broadcast_preference(
                who, command, opted_out=name == "berhenti", telegram_message_id=message.message_id
            )
        elif name == "profil":
            turn = await assistant_of(context).handle_profile_command(
                who, command, telegram_message_id=message.message_id
            )
        elif name in LEARNING_COMMANDS:
            turn = await assistant_of(context).handle_learning_command(
                who, command, LEARNING_COMMANDS[name], telegram_message_id=message.message_id
            )
        else:
            turn = await assistant_of(context).handle_command(
                who, command, COMMAND_PAYLOADS.get(name), telegram_message_id=message.message_id
            )
        await _deliver(context, who, turn)


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    who, message = identity(update), update.effective_message
    if who is None or message is None or message.text is None:
        return
    kind = "edited" if update.edited_message is not None else "text"
    async with chat_lock(who.chat_id):
        rich = Content(text=message.text, html=message.text_html)
        turn = await assistant_of(context).handle_text(
            who, message.text, kind=kind, telegram_message_id=message.message_id, rich=rich
        )
        await _deliver(context, who, turn)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query, who = update.callback_query, identity(update)
    if query is None:
        return
    await query.answer()  # first, so the seller's button stops spinning whatever happens next
    if who is None:
        return
    message_id = query.message.message_id if query.message else None
    async with chat_lock(who.chat_id):
        turn = await assistant_of(context).handle_button(
            who, query.data or "", telegram_message_id=message_id
        )
        await _deliver(context, who, turn)


# Message attribute -> stored kind, checked in order: a GIF (animation) also carries a
# `document`, and a location inside a venue message is still a location.
_MEDIA_KINDS: tuple[tuple[str, str], ...] = (
    ("sticker", "sticker"),
    ("animation", "sticker"),
    ("photo", "photo"),
    ("voice", "voice"),
    ("video_note", "voice"),
    ("audio", "voice"),
    ("video", "video"),
    ("document", "document"),
    ("location", "location"),
    ("contact", "contact"),
)


def message_kind(update: Update) -> str:
    message = update.effective_message
    if message is None:
        return "other"
    for attribute, kind in _MEDIA_KINDS:
        if getattr(message, attribute, None):
            return kind
    return "other"


def media_content(update: Update) -> Content | None:
    """A photo or document with its caption: what a trainer's broadcast can carry."""
    message = update.effective_message
    if message is None:
        return None
    caption, caption_html = message.caption or "", message.caption_html or ""
    if message.photo:
        return Content(caption, caption_html, "photo", message.photo[-1].file_id)
    if message.document and not message.animation:
        return Content(caption, caption_html, "document", message.document.file_id)
    return None


async def on_unsupported(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    who, message = identity(update), update.effective_message
    if who is None or message is None:
        return
    async with chat_lock(who.chat_id):
        turn = await assistant_of(context).handle_unsupported(
            who,
            message_kind(update),
            telegram_message_id=message.message_id,
            rich=media_content(update),
        )
        await _deliver(context, who, turn)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Last line of defence: log with the update's context (ids, not content) and carry on."""
    where = "no update"
    if isinstance(update, Update):
        chat = update.effective_chat
        where = f"update {update.update_id} chat {chat.id if chat else '-'}"
    log.error("unhandled error while handling %s", where, exc_info=context.error)
    report_error(context.error)  # webhook mode: the inbox retries database failures
