"""Injecting what a Telegram user does (types, taps a button, sends a sticker, ...) as updates.

Every inject_* builds a complete, valid Update (incrementing update_id, a realistic user and a
private chat whose id equals the user's id), queues it for getUpdates or the webhook and
returns the Message (or CallbackQuery) inside it, so a test can refer to it later (for example
`inject_edited_text(user, msg["message_id"], ...)`). They are synchronous: no await needed.
"""

from __future__ import annotations

from typing import Any, TypedDict, Unpack

from tests.emulator import objects
from tests.emulator.state import EmulatorState

JSON = dict[str, Any]

FAKE_JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00emulated photo\xff\xd9"
FAKE_OGG = b"OggS\x00emulated voice"
FAKE_WEBP = b"RIFF\x00\x00\x00\x00WEBPemulated sticker"
FAKE_PDF = b"%PDF-1.4\n% emulated document\n%%EOF\n"


class Sender(TypedDict, total=False):
    """Who acts, and where: by default a private chat with the user."""

    first_name: str
    last_name: str
    username: str
    language_code: str
    chat_id: int  # a group chat id (negative) instead of the private chat


class Injector:
    """Mixin for `TelegramEmulator`; needs `self.state`."""

    state: EmulatorState

    # --- messages ----------------------------------------------------------------------------

    def inject_text(
        self, user_id: int, text: str, *, entities: list[JSON] | None = None, **who: Unpack[Sender]
    ) -> JSON:
        """A typed message. Commands, links, @mentions and #hashtags get entities, as Telegram
        adds them server-side."""
        found = objects.detect_entities(text) if entities is None else entities
        return self._user_message(user_id, who, text=text, entities=found or None)

    def inject_command(
        self, user_id: int, command: str, args: str = "", **who: Unpack[Sender]
    ) -> JSON:
        """`/start` (or `start`), optionally with arguments: `/start ref_123`."""
        word = command if command.startswith("/") else f"/{command}"
        text = f"{word} {args}" if args else word
        entity = {"type": "bot_command", "offset": 0, "length": objects.utf16_len(word)}
        return self._user_message(user_id, who, text=text, entities=[entity])

    def inject_sticker(self, user_id: int, emoji: str = "👍", **who: Unpack[Sender]) -> JSON:
        stored = self.state.add_file("sticker", FAKE_WEBP, mime_type="image/webp", extension="webp")
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "set_name": "AkarEmulatorStickers",
            "file_size": len(FAKE_WEBP),
        }
        return self._user_message(user_id, who, sticker=sticker)

    def inject_photo(self, user_id: int, caption: str | None = None, **who: Unpack[Sender]) -> JSON:
        stored = self.state.add_file("photo", FAKE_JPEG, mime_type="image/jpeg", extension="jpg")
        sizes = objects.photo_sizes(stored.file_id, stored.file_unique_id, len(FAKE_JPEG))
        return self._user_message(user_id, who, photo=sizes, caption=caption)

    def inject_voice(self, user_id: int, duration: int = 3, **who: Unpack[Sender]) -> JSON:
        stored = self.state.add_file("voice", FAKE_OGG, mime_type="audio/ogg", extension="oga")
        voice = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": len(FAKE_OGG),
        }
        return self._user_message(user_id, who, voice=voice)

    def inject_document(
        self,
        user_id: int,
        file_name: str = "katalog-produk.pdf",
        mime_type: str = "application/pdf",
        caption: str | None = None,
        content: bytes = FAKE_PDF,
        **who: Unpack[Sender],
    ) -> JSON:
        extension = file_name.rsplit(".", 1)[-1] if "." in file_name else "bin"
        stored = self.state.add_file("document", content, file_name, mime_type, extension)
        document = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": len(content),
        }
        return self._user_message(user_id, who, document=document, caption=caption)

    def inject_location(
        self,
        user_id: int,
        latitude: float = -6.175392,  # Monas, Jakarta
        longitude: float = 106.827153,
        **who: Unpack[Sender],
    ) -> JSON:
        location = {"latitude": latitude, "longitude": longitude}
        return self._user_message(user_id, who, location=location)

    def inject_contact(
        self, user_id: int, phone_number: str = "+6281234567890", **who: Unpack[Sender]
    ) -> JSON:
        """The user shares their own contact (what a "share my phone number" button sends)."""
        person = self.state.remember_user(user_id, **_profile(who))
        contact = {
            "phone_number": phone_number,
            "first_name": person["first_name"],
            "user_id": user_id,
        }
        return self._user_message(user_id, who, contact=contact)

    def inject_edited_text(
        self, user_id: int, message_id: int, new_text: str, **who: Unpack[Sender]
    ) -> JSON:
        """The user edits an earlier message; arrives as an `edited_message` update."""
        sender = self.state.remember_user(user_id, **_profile(who))
        chat = self._chat(user_id, who)
        old = self.state.messages.get((chat["id"], message_id))
        msg = dict(old) if old else objects.message(message_id, chat, sender)
        msg.pop("entities", None)
        msg.update(text=new_text, edit_date=objects.now())
        entities = objects.detect_entities(new_text)
        if entities:
            msg["entities"] = entities
        self.state.store(msg)
        self.state.push_update("edited_message", msg)
        return msg

    # --- buttons and raw updates ---------------------------------------------------------------

    def inject_callback(
        self, user_id: int, data: str, message_id: int | None = None, **who: Unpack[Sender]
    ) -> JSON:
        """The user taps an inline button with this callback_data.

        The query's `message` is the bot's message `message_id` in that chat, else the bot's
        latest message there, else a synthetic bot message (a button from long ago).
        """
        sender = self.state.remember_user(user_id, **_profile(who))
        chat = self._chat(user_id, who)
        if message_id is not None:
            msg = self.state.messages.get((chat["id"], message_id))
        else:
            msg = self.state.latest_bot_message(chat["id"])
        if msg is None:
            msg = self._synthetic_bot_message(chat, data, message_id)
        query = objects.callback_query(self.state.new_query_id(), sender, data, msg)
        self.state.push_update("callback_query", query)
        return query

    def inject_update(self, update: JSON) -> JSON:
        """Any update dict; `update_id` is added when missing."""
        return self.state.push_raw_update(update)

    # --- helpers ---------------------------------------------------------------------------------

    def _chat(self, user_id: int, who: Sender) -> JSON:
        chat_id = who.get("chat_id")
        return self.state.chat(user_id if chat_id is None else chat_id)

    def _user_message(self, user_id: int, who: Sender, **fields: Any) -> JSON:
        sender = self.state.remember_user(user_id, **_profile(who))
        chat = self._chat(user_id, who)
        msg = objects.message(self.state.next_message_id(chat["id"]), chat, sender, **fields)
        self.state.store(msg)
        self.state.push_update("message", msg)
        return msg

    def _synthetic_bot_message(self, chat: JSON, data: str, message_id: int | None) -> JSON:
        if message_id is None:
            message_id = self.state.next_message_id(chat["id"])
        else:
            last = self.state.last_message_id.get(chat["id"], 0)
            self.state.last_message_id[chat["id"]] = max(last, message_id)
        keyboard = {"inline_keyboard": [[{"text": "…", "callback_data": data}]]}
        msg = objects.message(
            message_id,
            chat,
            objects.bot_sender(self.state.bot_user()),
            text="(pesan lama)",
            reply_markup=keyboard,
        )
        return self.state.store(msg)


def _profile(who: Sender) -> dict[str, str]:
    return {key: str(value) for key, value in who.items() if key != "chat_id"}
