"""Builders for Bot API objects (User, Chat, Message, Update, files) as plain JSON dicts.

python-telegram-bot parses every result and update with `de_json`, so these dicts carry every
field the Bot API marks as required and nothing invented: if a builder here were wrong, PTB
would fail exactly as it would on a malformed real update.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import time
from typing import Any

JSON = dict[str, Any]

BOT_USERNAME = "akar_test_bot"
BOT_FIRST_NAME = "AKAR Asisten"
DEFAULT_FIRST_NAME = "Sari"
DEFAULT_LANGUAGE = "id"

_file_counter = itertools.count(1)


def now() -> int:
    """Bot API dates are whole Unix seconds."""
    return int(time.time())


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: the unit of entity offsets and of Telegram's text limits."""
    return len(text.encode("utf-16-le")) // 2


def bot_user(bot_id: int, username: str = BOT_USERNAME, first_name: str = BOT_FIRST_NAME) -> JSON:
    """What getMe returns (the bot-only capability flags are present only here)."""
    return {
        "id": bot_id,
        "is_bot": True,
        "first_name": first_name,
        "username": username,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


def bot_sender(bot: JSON) -> JSON:
    """The bot as the `from` of its own messages: a plain User without getMe's extra flags."""
    return {key: bot[key] for key in ("id", "is_bot", "first_name", "username")}


def user(
    user_id: int,
    first_name: str = DEFAULT_FIRST_NAME,
    last_name: str | None = None,
    username: str | None = None,
    language_code: str | None = DEFAULT_LANGUAGE,
) -> JSON:
    result: JSON = {"id": user_id, "is_bot": False, "first_name": first_name}
    if last_name:
        result["last_name"] = last_name
    if username:
        result["username"] = username
    if language_code:
        result["language_code"] = language_code
    return result


def private_chat(person: JSON) -> JSON:
    """A private chat has the same id as the user it is with."""
    chat: JSON = {"id": person["id"], "type": "private", "first_name": person["first_name"]}
    for key in ("last_name", "username"):
        if key in person:
            chat[key] = person[key]
    return chat


def group_chat(chat_id: int, title: str = "Grup Penjual AKAR") -> JSON:
    kind = "supergroup" if str(chat_id).startswith("-100") else "group"
    return {"id": chat_id, "type": kind, "title": title}


def message(message_id: int, chat: JSON, sender: JSON, **fields: Any) -> JSON:
    """A Message; `fields` adds text, entities, photo, reply_markup, ... (None values dropped)."""
    result: JSON = {"message_id": message_id, "date": now(), "chat": chat, "from": sender}
    result.update({key: value for key, value in fields.items() if value is not None})
    return result


def update(update_id: int, kind: str, payload: JSON) -> JSON:
    return {"update_id": update_id, kind: payload}


def callback_query(query_id: str, sender: JSON, data: str, msg: JSON) -> JSON:
    chat_id = msg["chat"]["id"]
    instance = hashlib.sha1(f"{chat_id}".encode()).hexdigest()[:16]
    return {
        "id": query_id,
        "from": sender,
        "message": msg,
        "chat_instance": str(int(instance, 16)),
        "data": data,
    }


# --- files --------------------------------------------------------------------------------------


def file_ids(kind: str) -> tuple[str, str]:
    """A fresh (file_id, file_unique_id) pair; file_ids look opaque, as Telegram's do."""
    number = next(_file_counter)
    digest = hashlib.sha1(f"{kind}:{number}".encode()).hexdigest()
    return f"EMU{kind[:2].upper()}{number:06d}{digest[:20]}", f"U{digest[:14]}"


def photo_sizes(file_id: str, unique_id: str, size: int) -> list[JSON]:
    """Telegram returns several sizes of every photo; bots usually take the last (largest)."""
    return [
        {
            "file_id": f"{file_id}_s",
            "file_unique_id": f"{unique_id}s",
            "width": 90,
            "height": 68,
            "file_size": min(size, 1_200),
        },
        {
            "file_id": file_id,
            "file_unique_id": unique_id,
            "width": 800,
            "height": 600,
            "file_size": size,
        },
    ]


# --- entities in text a user types --------------------------------------------------------------

_AUTO_ENTITIES = [
    ("bot_command", re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")),
    ("url", re.compile(r"\bhttps?://[^\s<>\"]+", re.IGNORECASE)),
    ("email", re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b")),
    ("mention", re.compile(r"(?<![\w@])@[A-Za-z0-9_]{5,32}\b")),
    ("hashtag", re.compile(r"(?<![\w#])#\w+")),
]


def detect_entities(text: str) -> list[JSON]:
    """The entities Telegram's servers attach to a typed message (commands, links, ...).

    PTB's `filters.COMMAND` and `CommandHandler` look for a `bot_command` entity at offset 0,
    so without this a typed "/start" would not count as a command.
    """
    found: list[tuple[int, int, str]] = []
    taken: list[range] = []
    for kind, pattern in _AUTO_ENTITIES:
        for match in pattern.finditer(text):
            span = range(match.start(), match.end())
            if any(span.start < other.stop and other.start < span.stop for other in taken):
                continue
            taken.append(span)
            found.append((match.start(), match.end(), kind))
    entities = []
    for start, end, kind in sorted(found):
        offset = utf16_len(text[:start])
        entities.append({"type": kind, "offset": offset, "length": utf16_len(text[start:end])})
    return entities
