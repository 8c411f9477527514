"""Everything the emulated Bot API server knows: chats, messages, pending updates, records.

Kept apart from the HTTP layer so method handlers are plain functions of (state, params) and
tests can inspect the state directly. All mutation happens on the event loop thread; `Notifier`
wakes whoever waits (long-polling getUpdates, `wait_for_sent`, webhook delivery) after each
change, so nothing needs to poll or sleep.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tests.emulator import objects
from tests.emulator.faults import Faults
from tests.emulator.records import ApiCall, SentMessage

JSON = dict[str, Any]
T = TypeVar("T")

#: Update kinds Telegram sends when allowed_updates was never set.
DEFAULT_UPDATE_KINDS = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)

DEFAULT_BOT_ID = 123456


class Notifier:
    """Wake every waiter whenever something changed; waiters re-check their own condition.

    Simpler than an asyncio.Condition for this use: `notify` is synchronous (inject_* are
    plain methods) and safe to call from another thread once the loop is bound.
    """

    def __init__(self) -> None:
        self._waiters: set[asyncio.Future[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: int | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._thread = threading.get_ident()

    def notify(self) -> None:
        if self._loop is not None and threading.get_ident() != self._thread:
            self._loop.call_soon_threadsafe(self._wake)
        else:
            self._wake()

    def _wake(self) -> None:
        waiters, self._waiters = self._waiters, set()
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def wait_for(
        self,
        check: Callable[[], T | None],
        timeout: float | None,
    ) -> T:
        """Return `check()` once it is not None; raise TimeoutError after `timeout` seconds."""
        async with asyncio.timeout(timeout):
            while True:
                result = check()
                if result is not None:
                    return result
                waiter = asyncio.get_running_loop().create_future()
                self._waiters.add(waiter)
                try:
                    await waiter
                finally:
                    self._waiters.discard(waiter)


@dataclass
class StoredFile:
    """A file the bot uploaded or a user "sent"; served by getFile and the file URL."""

    file_id: str
    file_unique_id: str
    content: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None


@dataclass
class WebhookConfig:
    url: str
    secret_token: str | None = None
    max_connections: int = 40
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class InjectMark:
    """Where the records stood when the last update for a chat was injected."""

    sent: int
    calls: int


@dataclass
class EmulatorState:
    bot_username: str = objects.BOT_USERNAME
    bot_first_name: str = objects.BOT_FIRST_NAME
    strict_html: bool = True
    bot_id: int = DEFAULT_BOT_ID

    users: dict[int, JSON] = field(default_factory=dict)
    chats: dict[int, JSON] = field(default_factory=dict)
    messages: dict[tuple[int, int], JSON] = field(default_factory=dict)
    last_message_id: dict[int, int] = field(default_factory=dict)

    updates: list[JSON] = field(default_factory=list)
    allowed_updates: frozenset[str] = DEFAULT_UPDATE_KINDS
    poll_generation: int = 0
    polls_waiting: int = 0
    webhook: WebhookConfig | None = None

    callback_queries: dict[str, bool] = field(default_factory=dict)  # id -> answered
    files: dict[str, StoredFile] = field(default_factory=dict)
    commands: dict[tuple[str, str], list[JSON]] = field(default_factory=dict)
    menu_buttons: dict[int | None, JSON] = field(default_factory=dict)

    sent: list[SentMessage] = field(default_factory=list)
    calls: list[ApiCall] = field(default_factory=list)
    inject_marks: dict[int, InjectMark] = field(default_factory=dict)
    faults: Faults = field(default_factory=Faults)
    changed: Notifier = field(default_factory=Notifier)
    closing: bool = False

    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _query_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # --- identities --------------------------------------------------------------------------

    def bot_user(self) -> JSON:
        return objects.bot_user(self.bot_id, self.bot_username, self.bot_first_name)

    def remember_user(
        self,
        user_id: int,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> JSON:
        """The user's profile; given fields update it, so later injects keep the same name."""
        old = self.users.get(user_id, {})
        person = objects.user(
            user_id,
            first_name=first_name or old.get("first_name", objects.DEFAULT_FIRST_NAME),
            last_name=last_name or old.get("last_name"),
            username=username or old.get("username"),
            language_code=language_code or old.get("language_code", objects.DEFAULT_LANGUAGE),
        )
        self.users[user_id] = person
        if user_id not in self.chats or self.chats[user_id]["type"] == "private":
            self.chats[user_id] = objects.private_chat(person)
        return person

    def chat(self, chat_id: int) -> JSON:
        """The chat with this id; unknown positive ids are private chats with a new user."""
        if chat_id not in self.chats:
            if chat_id > 0:
                self.remember_user(chat_id)
            else:
                self.chats[chat_id] = objects.group_chat(chat_id)
        return self.chats[chat_id]

    # --- messages ----------------------------------------------------------------------------

    def next_message_id(self, chat_id: int) -> int:
        """Message ids count up per chat, shared by both sides, as in private chats."""
        self.last_message_id[chat_id] = self.last_message_id.get(chat_id, 0) + 1
        return self.last_message_id[chat_id]

    def store(self, msg: JSON) -> JSON:
        self.messages[(msg["chat"]["id"], msg["message_id"])] = msg
        return msg

    def latest_bot_message(self, chat_id: int) -> JSON | None:
        for (chat, _), msg in reversed(self.messages.items()):
            if chat == chat_id and msg["from"]["id"] == self.bot_id:
                return msg
        return None

    def new_query_id(self) -> str:
        query_id = f"{self.bot_id}{next(self._query_ids):010d}"
        self.callback_queries[query_id] = False
        return query_id

    def add_file(
        self,
        kind: str,
        content: bytes,
        file_name: str | None = None,
        mime_type: str | None = None,
        extension: str = "bin",
    ) -> StoredFile:
        """Keep a file so getFile and the file URL can serve it later."""
        file_id, unique_id = objects.file_ids(kind)
        path = f"{kind}s/file_{len(self.files)}.{extension}"
        stored = StoredFile(file_id, unique_id, content, path, file_name, mime_type)
        self.files[file_id] = stored
        return stored

    # --- updates -----------------------------------------------------------------------------

    def push_update(self, kind: str, payload: JSON) -> JSON:
        item = objects.update(next(self._update_ids), kind, payload)
        return self.push_raw_update(item)

    def push_raw_update(self, item: JSON) -> JSON:
        if "update_id" not in item:
            item = {"update_id": next(self._update_ids), **item}
        chat_id = _update_chat_id(item)
        if chat_id is not None:
            self.inject_marks[chat_id] = InjectMark(len(self.sent), len(self.calls))
        self.updates.append(item)
        self.changed.notify()
        return item

    def confirm(self, offset: int) -> None:
        """getUpdates' offset: forget updates below it (negative: keep only the last -offset)."""
        if offset < 0:
            del self.updates[:offset]
        else:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]

    def deliverable(self, limit: int) -> list[JSON]:
        """Pending updates of allowed kinds; other kinds are dropped, as Telegram does."""
        self.updates = [u for u in self.updates if _update_kind(u) in self.allowed_updates]
        return self.updates[:limit]

    # --- records -----------------------------------------------------------------------------

    def record_call(self, call: ApiCall) -> None:
        self.calls.append(call)
        self.changed.notify()

    def record_sent(self, sent: SentMessage) -> None:
        self.sent.append(sent)
        self.changed.notify()


def commands_key(scope: Any, language_code: str | None) -> tuple[str, str]:
    """Commands are stored per (scope, language), like Telegram's command menus."""
    scope = scope or {"type": "default"}
    canonical = json.dumps(scope, sort_keys=True) if isinstance(scope, dict) else str(scope)
    return canonical, language_code or ""


def _update_kind(item: JSON) -> str:
    return next((key for key in item if key != "update_id"), "")


def _update_chat_id(item: JSON) -> int | None:
    payload = item.get(_update_kind(item))
    if not isinstance(payload, dict):
        return None
    msg = payload.get("message") if "chat" not in payload else payload
    if isinstance(msg, dict) and isinstance(msg.get("chat"), dict):
        return int(msg["chat"]["id"])
    sender = payload.get("from")
    return int(sender["id"]) if isinstance(sender, dict) else None
