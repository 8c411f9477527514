"""Telegram's limits on what a bot may send, enforced so bot bugs fail in tests, not in prod.

Text is 1-4096 and captions 0-1024 UTF-16 code units *after* entity parsing (the unit
Telegram uses for entity offsets; an emoji counts twice), callback_data is 1-64 bytes, and
HTML must parse. Error descriptions are Telegram's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tests.emulator.errors import ApiError
from tests.emulator.html_check import EntityParseError, parse_html
from tests.emulator.objects import utf16_len
from tests.emulator.params import Params

JSON = dict[str, Any]

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER = 200
MAX_COMMANDS = 100

PARSE_MODES = {"html": "HTML", "markdownv2": "MarkdownV2", "markdown": "Markdown"}

INLINE_ACTIONS = (
    "callback_data",
    "url",
    "login_url",
    "web_app",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)

_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
_BAD_MARKUP = "can't parse reply keyboard markup JSON object"


@dataclass
class FormattedText:
    """A text or caption as sent (`raw`) and as the user will see it (`plain` + entities)."""

    raw: str
    plain: str
    parse_mode: str | None
    entities: list[JSON] = field(default_factory=list)


def formatted(p: Params, text_field: str, entities_field: str, strict_html: bool) -> FormattedText:
    raw = p.get_str(text_field) or ""
    mode_value = p.get_str("parse_mode")
    if not mode_value:
        entities = p.get_json(entities_field) or []
        if not isinstance(entities, list):
            raise ApiError.bad_request(f"can't parse {entities_field} JSON object")
        return FormattedText(raw, raw, None, entities)
    mode = PARSE_MODES.get(mode_value.lower())
    if mode is None:
        raise ApiError.bad_request(f"unsupported parse_mode {mode_value!r}")
    if mode != "HTML":
        # Markdown is passed through unchecked: the AKAR bot does not use it.
        return FormattedText(raw, raw, mode)
    try:
        plain, entities = parse_html(raw, strict_ampersand=strict_html)
    except EntityParseError as exc:
        raise ApiError.bad_request(f"can't parse entities: {exc}") from None
    return FormattedText(raw, plain, mode, entities)


def message_text(p: Params, strict_html: bool) -> FormattedText:
    text = formatted(p, "text", "entities", strict_html)
    if not text.plain.strip():
        raise ApiError.bad_request("message text is empty")
    if utf16_len(text.plain) > MAX_TEXT:
        raise ApiError.bad_request("message is too long")
    return text


def caption(p: Params, strict_html: bool) -> FormattedText | None:
    if "caption" not in p:
        return None
    text = formatted(p, "caption", "caption_entities", strict_html)
    if utf16_len(text.plain) > MAX_CAPTION:
        raise ApiError.bad_request("message caption is too long")
    return text


def reply_markup(p: Params) -> JSON | None:
    """The parsed reply_markup, checked the way Telegram checks it."""
    markup = p.get_json("reply_markup", _BAD_MARKUP)
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise ApiError.bad_request(_BAD_MARKUP)
    if "inline_keyboard" in markup:
        _check_inline_keyboard(markup["inline_keyboard"])
    elif "keyboard" in markup:
        _check_keyboard(markup["keyboard"])
    elif not ({"remove_keyboard", "force_reply"} & markup.keys()):
        raise ApiError.bad_request(_BAD_MARKUP)
    return markup


def inline_only(markup: JSON | None) -> JSON | None:
    """Messages carry only inline keyboards; reply keyboards are not part of the Message."""
    return markup if markup and "inline_keyboard" in markup else None


def _rows(rows: Any, name: str) -> list[list[Any]]:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise ApiError.bad_request(f'field "{name}" of the reply markup must be an Array of Arrays')
    return rows


def _check_inline_keyboard(rows: Any) -> None:
    for row in _rows(rows, "inline_keyboard"):
        for button in row:
            if not isinstance(button, dict):
                raise ApiError.bad_request(
                    "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
                )
            if not isinstance(button.get("text"), str):
                raise ApiError.bad_request(
                    'can\'t parse inline keyboard button: Field "text" must be of type String'
                )
            if not any(key in button for key in INLINE_ACTIONS):
                raise ApiError.bad_request(
                    "can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard"
                )
            if "callback_data" in button:
                data = button["callback_data"]
                size = len(data.encode("utf-8")) if isinstance(data, str) else 0
                if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                    raise ApiError.bad_request("BUTTON_DATA_INVALID")
            if "url" in button:
                url = button["url"]
                if not isinstance(url, str) or not url.strip() or any(c.isspace() for c in url):
                    raise ApiError.bad_request(
                        f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL"
                    )


def _check_keyboard(rows: Any) -> None:
    for row in _rows(rows, "keyboard"):
        for button in row:
            text = button if isinstance(button, str) else None
            if isinstance(button, dict):
                text = button.get("text")
            if not isinstance(text, str) or not text:
                raise ApiError.bad_request(
                    'can\'t parse keyboard button: Field "text" must be of type String'
                )


def bot_commands(commands: Any) -> list[JSON]:
    if not isinstance(commands, list):
        raise ApiError.bad_request("can't parse commands JSON object")
    if len(commands) > MAX_COMMANDS:
        raise ApiError.bad_request("BOT_COMMANDS_TOO_MUCH")
    for command in commands:
        if not isinstance(command, dict) or not _COMMAND.match(str(command.get("command", ""))):
            raise ApiError.bad_request("BOT_COMMAND_INVALID")
        description = command.get("description")
        if not isinstance(description, str) or not 1 <= len(description) <= 256:
            raise ApiError.bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    return commands
