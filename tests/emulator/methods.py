"""The Bot API methods the emulator implements, as plain async functions of (state, params).

Each returns the `result` Telegram would return or raises `ApiError`. Methods not listed here
get `404 Not Found`, as on the real Bot API, so a bot relying on an unemulated method fails
loudly instead of silently passing.
"""

from __future__ import annotations

import mimetypes
import posixpath
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from tests.emulator import objects, validation
from tests.emulator.errors import ApiError
from tests.emulator.params import Params
from tests.emulator.records import SentMessage
from tests.emulator.state import (
    DEFAULT_UPDATE_KINDS,
    EmulatorState,
    StoredFile,
    WebhookConfig,
    commands_key,
)

JSON = dict[str, Any]
Handler = Callable[[EmulatorState, Params], Awaitable[Any]]


@dataclass(frozen=True)
class Method:
    name: str
    func: Handler


#: Lower-cased method name -> Method (the Bot API matches method names case-insensitively).
METHODS: dict[str, Method] = {}


def method(name: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        METHODS[name.lower()] = Method(name, func)
        return func

    return register


def lookup(name: str) -> Method | None:
    return METHODS.get(name.lower())


CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"


# --- helpers -------------------------------------------------------------------------------------


def target_chat(state: EmulatorState, p: Params) -> JSON:
    value = p.get_str("chat_id")
    if not value:
        raise ApiError.bad_request("chat_id is empty")
    if value.startswith("@"):
        for chat in state.chats.values():
            if chat.get("username", "").lower() == value[1:].lower():
                return chat
        raise ApiError.bad_request("chat not found")
    try:
        return state.chat(int(value))
    except ValueError:
        raise ApiError.bad_request("chat not found") from None


def reply_target(state: EmulatorState, p: Params, chat_id: int) -> JSON | None:
    """The message being replied to, if any (reply_parameters or the old reply_to_message_id)."""
    reply = p.get_json("reply_parameters") or {}
    if not isinstance(reply, dict):
        raise ApiError.bad_request("can't parse reply parameters JSON object")
    message_id = reply.get("message_id") or p.get_int("reply_to_message_id")
    if not message_id:
        return None
    target = state.messages.get((int(reply.get("chat_id", chat_id)), int(message_id)))
    if target is None:
        if reply.get("allow_sending_without_reply") or p.get_bool("allow_sending_without_reply"):
            return None
        raise ApiError.bad_request("message to be replied not found")
    return {key: value for key, value in target.items() if key != "reply_to_message"}


def new_bot_message(state: EmulatorState, chat: JSON, p: Params, **fields: Any) -> JSON:
    msg = objects.message(
        state.next_message_id(chat["id"]),
        chat,
        objects.bot_sender(state.bot_user()),
        reply_to_message=reply_target(state, p, chat["id"]),
        **fields,
    )
    return state.store(msg)


def record_sent(
    state: EmulatorState,
    name: str,
    msg: JSON,
    text: validation.FormattedText | None,
    markup: JSON | None,
    p: Params,
) -> None:
    state.record_sent(
        SentMessage(
            index=len(state.sent),
            method=name,
            chat_id=msg["chat"]["id"],
            message_id=msg["message_id"],
            text=text.raw if text else None,
            parse_mode=text.parse_mode if text else None,
            reply_markup=markup,
            params=dict(p.raw),
            time=time.time(),
            plain_text=text.plain if text else None,
            entities=text.entities if text else [],
            message=msg,
        )
    )


def input_file(state: EmulatorState, p: Params, field: str, kind: str) -> StoredFile:
    """The file for `field`: an upload, an attach:// reference, a known file_id or a URL."""
    value = p.get_str(field)
    upload = p.files.get(field)
    if value and value.startswith("attach://"):
        upload = p.files.get(value.removeprefix("attach://"))
    if upload is not None:
        if not upload.content:
            raise ApiError.bad_request("file must be non-empty")
        name = upload.filename or field
        mime = upload.content_type or mimetypes.guess_type(name)[0]
        extension = posixpath.splitext(name)[1].lstrip(".") or "bin"
        return state.add_file(kind, upload.content, name, mime, extension)
    if not value:
        raise ApiError.bad_request(f"there is no {field} in the request")
    if value in state.files:
        return state.files[value]
    if urlparse(value).scheme in ("http", "https"):
        name = posixpath.basename(urlparse(value).path) or field
        mime = mimetypes.guess_type(name)[0]
        return state.add_file(kind, b"downloaded from " + value.encode(), name, mime)
    raise ApiError.bad_request("wrong file identifier/HTTP URL specified")


def existing_message(state: EmulatorState, p: Params, action: str) -> JSON:
    if "inline_message_id" in p:
        raise ApiError.bad_request("MESSAGE_ID_INVALID")
    chat = target_chat(state, p)
    message_id = p.require_int("message_id")
    msg = state.messages.get((chat["id"], message_id))
    if msg is None:
        raise ApiError.bad_request(f"message to {action} not found")
    return msg


def editable_message(state: EmulatorState, p: Params) -> JSON:
    msg = existing_message(state, p, "edit")
    if msg["from"]["id"] != state.bot_id:
        raise ApiError.bad_request("message can't be edited")
    return msg


def save_edit(state: EmulatorState, old: JSON, new: JSON) -> JSON:
    compared = ("text", "entities", "caption", "caption_entities", "reply_markup")
    if all(old.get(key) == new.get(key) for key in compared):
        raise ApiError.bad_request(NOT_MODIFIED)
    new = {key: value for key, value in new.items() if value is not None}
    new["edit_date"] = objects.now()
    return state.store(new)


# --- identity and updates ---------------------------------------------------------------------


@method("getMe")
async def get_me(state: EmulatorState, p: Params) -> JSON:
    return state.bot_user()


@method("logOut")
async def log_out(state: EmulatorState, p: Params) -> bool:
    return True


@method("close")
async def close(state: EmulatorState, p: Params) -> bool:
    return True


_NO_UPDATES: list[JSON] = []
_CONFLICT = object()


@method("getUpdates")
async def get_updates(state: EmulatorState, p: Params) -> list[JSON]:
    """Long polling: answer at once if updates are pending, else wait up to `timeout` seconds.

    A newer getUpdates call ends a waiting one with 409 Conflict, as Telegram does when two
    bot instances poll with the same token.
    """
    if state.webhook is not None:
        raise ApiError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
        )
    offset = p.get_int("offset")
    limit = min(max(p.get_int("limit", 100) or 100, 1), 100)
    timeout = max(p.get_float("timeout", 0.0) or 0.0, 0.0)
    allowed = p.get_json("allowed_updates")
    if isinstance(allowed, list):
        state.allowed_updates = frozenset(allowed) if allowed else DEFAULT_UPDATE_KINDS
    if offset:
        state.confirm(offset)
    state.poll_generation += 1
    generation = state.poll_generation

    def ready() -> object | None:
        if state.poll_generation != generation:
            return _CONFLICT
        if state.closing or state.webhook is not None:
            return _NO_UPDATES
        return state.deliverable(limit) or None

    state.polls_waiting += 1
    state.changed.notify()
    try:
        result = await state.changed.wait_for(ready, timeout)
    except TimeoutError:
        return []
    finally:
        state.polls_waiting -= 1
    if result is _CONFLICT:
        raise ApiError.for_status(409)
    assert isinstance(result, list)
    return result


@method("setWebhook")
async def set_webhook(state: EmulatorState, p: Params) -> bool:
    url = p.get_str("url") or ""
    if p.get_bool("drop_pending_updates"):
        state.updates.clear()
    allowed = p.get_json("allowed_updates")
    if isinstance(allowed, list):
        state.allowed_updates = frozenset(allowed) if allowed else DEFAULT_UPDATE_KINDS
    if not url:
        state.webhook = None
    else:
        # Telegram requires HTTPS; the emulator also delivers to http:// for local tests.
        if urlparse(url).scheme not in ("http", "https"):
            raise ApiError.bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = p.get_str("secret_token")
        if secret and not _SECRET.match(secret):
            raise ApiError.bad_request("secret token contains unallowed characters")
        state.webhook = WebhookConfig(url, secret, p.get_int("max_connections", 40) or 40)
    state.changed.notify()
    return True


@method("deleteWebhook")
async def delete_webhook(state: EmulatorState, p: Params) -> bool:
    if p.get_bool("drop_pending_updates"):
        state.updates.clear()
    state.webhook = None
    state.changed.notify()
    return True


@method("getWebhookInfo")
async def get_webhook_info(state: EmulatorState, p: Params) -> JSON:
    hook = state.webhook
    info: JSON = {
        "url": hook.url if hook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(state.updates),
    }
    if hook:
        info["max_connections"] = hook.max_connections
        info["allowed_updates"] = sorted(state.allowed_updates)
        if hook.last_error_date:
            info["last_error_date"] = hook.last_error_date
            info["last_error_message"] = hook.last_error_message
    return info


# --- sending -------------------------------------------------------------------------------------


@method("sendMessage")
async def send_message(state: EmulatorState, p: Params) -> JSON:
    chat = target_chat(state, p)
    text = validation.message_text(p, state.strict_html)
    markup = validation.reply_markup(p)
    msg = new_bot_message(
        state,
        chat,
        p,
        text=text.plain,
        entities=text.entities or None,
        reply_markup=validation.inline_only(markup),
    )
    record_sent(state, "sendMessage", msg, text, markup, p)
    return msg


@method("sendPhoto")
async def send_photo(state: EmulatorState, p: Params) -> JSON:
    chat = target_chat(state, p)
    caption = validation.caption(p, state.strict_html)
    markup = validation.reply_markup(p)
    photo = input_file(state, p, "photo", "photo")
    msg = new_bot_message(
        state,
        chat,
        p,
        photo=objects.photo_sizes(photo.file_id, photo.file_unique_id, len(photo.content)),
        caption=caption.plain if caption else None,
        caption_entities=(caption.entities or None) if caption else None,
        reply_markup=validation.inline_only(markup),
    )
    record_sent(state, "sendPhoto", msg, caption, markup, p)
    return msg


@method("sendDocument")
async def send_document(state: EmulatorState, p: Params) -> JSON:
    chat = target_chat(state, p)
    caption = validation.caption(p, state.strict_html)
    markup = validation.reply_markup(p)
    doc = input_file(state, p, "document", "document")
    document: JSON = {
        "file_id": doc.file_id,
        "file_unique_id": doc.file_unique_id,
        "file_size": len(doc.content),
    }
    if doc.file_name:
        document["file_name"] = doc.file_name
    if doc.mime_type:
        document["mime_type"] = doc.mime_type
    msg = new_bot_message(
        state,
        chat,
        p,
        document=document,
        caption=caption.plain if caption else None,
        caption_entities=(caption.entities or None) if caption else None,
        reply_markup=validation.inline_only(markup),
    )
    record_sent(state, "sendDocument", msg, caption, markup, p)
    return msg


@method("sendChatAction")
async def send_chat_action(state: EmulatorState, p: Params) -> bool:
    target_chat(state, p)
    if p.get_str("action") not in CHAT_ACTIONS:
        raise ApiError.bad_request("wrong parameter action in request")
    return True


# --- changing sent messages -------------------------------------------------------------------


@method("editMessageText")
async def edit_message_text(state: EmulatorState, p: Params) -> JSON:
    old = editable_message(state, p)
    if "text" not in old:
        raise ApiError.bad_request("there is no text in the message to edit")
    text = validation.message_text(p, state.strict_html)
    markup = validation.inline_only(validation.reply_markup(p))
    new = {**old, "text": text.plain, "entities": text.entities or None, "reply_markup": markup}
    return save_edit(state, old, new)


@method("editMessageCaption")
async def edit_message_caption(state: EmulatorState, p: Params) -> JSON:
    old = editable_message(state, p)
    if "text" in old:
        raise ApiError.bad_request("there is no caption in the message to edit")
    caption = validation.caption(p, state.strict_html)
    markup = validation.inline_only(validation.reply_markup(p))
    new = {
        **old,
        "caption": caption.plain if caption else None,
        "caption_entities": (caption.entities or None) if caption else None,
        "reply_markup": markup,
    }
    return save_edit(state, old, new)


@method("editMessageReplyMarkup")
async def edit_message_reply_markup(state: EmulatorState, p: Params) -> JSON:
    old = editable_message(state, p)
    markup = validation.inline_only(validation.reply_markup(p))
    return save_edit(state, old, {**old, "reply_markup": markup})


@method("deleteMessage")
async def delete_message(state: EmulatorState, p: Params) -> bool:
    msg = existing_message(state, p, "delete")
    del state.messages[(msg["chat"]["id"], msg["message_id"])]
    return True


@method("answerCallbackQuery")
async def answer_callback_query(state: EmulatorState, p: Params) -> bool:
    query_id = p.require_str("callback_query_id")
    if state.callback_queries.get(query_id, True):  # unknown or already answered
        raise ApiError.bad_request(QUERY_TOO_OLD)
    if len(p.get_str("text") or "") > validation.MAX_CALLBACK_ANSWER:
        raise ApiError.bad_request("MESSAGE_TOO_LONG")
    state.callback_queries[query_id] = True
    return True


# --- files ---------------------------------------------------------------------------------------


@method("getFile")
async def get_file(state: EmulatorState, p: Params) -> JSON:
    # The small size of a photo (file_id + "_s") shares the stored content of the large one.
    stored = state.files.get(p.require_str("file_id").removesuffix("_s"))
    if stored is None:
        raise ApiError.bad_request("invalid file_id")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.content),
        "file_path": stored.file_path,
    }


# --- bot settings -------------------------------------------------------------------------------


def _commands_key(p: Params) -> tuple[str, str]:
    return commands_key(p.get_json("scope"), p.get_str("language_code"))


@method("setMyCommands")
async def set_my_commands(state: EmulatorState, p: Params) -> bool:
    commands = validation.bot_commands(p.get_json("commands"))
    state.commands[_commands_key(p)] = commands
    return True


@method("getMyCommands")
async def get_my_commands(state: EmulatorState, p: Params) -> list[JSON]:
    return state.commands.get(_commands_key(p), [])


@method("deleteMyCommands")
async def delete_my_commands(state: EmulatorState, p: Params) -> bool:
    state.commands.pop(_commands_key(p), None)
    return True


@method("setChatMenuButton")
async def set_chat_menu_button(state: EmulatorState, p: Params) -> bool:
    button = p.get_json("menu_button") or {"type": "default"}
    if not isinstance(button, dict) or "type" not in button:
        raise ApiError.bad_request("can't parse menu button JSON object")
    state.menu_buttons[p.get_int("chat_id")] = button
    return True


@method("getChatMenuButton")
async def get_chat_menu_button(state: EmulatorState, p: Params) -> JSON:
    chat_id = p.get_int("chat_id")
    return state.menu_buttons.get(chat_id) or state.menu_buttons.get(None) or {"type": "commands"}


async def _accept(state: EmulatorState, p: Params) -> bool:
    return True


for _name in ("setMyDescription", "setMyShortDescription", "setMyName"):
    method(_name)(_accept)
