"""What the emulator remembers about the bot's behaviour, for assertions in tests.

Two records: every API call (`ApiCall`, including failed ones, so a test can assert that the bot
*tried* to message a blocked user) and every message the bot successfully sent
(`SentMessage`). Both convert to and from JSON so the control HTTP API returns the same objects.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

JSON = dict[str, Any]


@dataclass(frozen=True)
class UploadedFile:
    """A file the bot uploaded with multipart/form-data (the content is kept out of repr)."""

    field_name: str
    filename: str | None
    content_type: str | None
    content: bytes = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass(frozen=True)
class ApiCall:
    """One Bot API request and its outcome.

    `params` are as received: with PTB's form encoding every value is a string and structured
    values (reply_markup, commands, ...) are JSON strings.
    """

    index: int
    method: str
    params: dict[str, Any]
    status: int
    result: Any
    description: str | None
    time: float
    files: dict[str, UploadedFile] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        try:
            return int(value) if value is not None else None
        except (TypeError, ValueError):
            return None

    def to_json(self) -> JSON:
        data = asdict(self)
        data["files"] = {
            name: {"filename": f.filename, "content_type": f.content_type, "size": f.size}
            for name, f in self.files.items()
        }
        return data

    @classmethod
    def from_json(cls, data: JSON) -> ApiCall:
        fields = {key: value for key, value in data.items() if key != "files"}
        return cls(**fields)


@dataclass(frozen=True)
class SentMessage:
    """A message the bot sent (sendMessage, sendPhoto, sendDocument, ...).

    `text` is the text or caption exactly as the bot sent it (markup included); `plain_text` is
    what the user sees after Telegram parsed the entities. `message` is the Message returned.
    """

    index: int
    method: str
    chat_id: int
    message_id: int
    text: str | None
    parse_mode: str | None
    reply_markup: JSON | None
    params: dict[str, Any]
    time: float
    plain_text: str | None = None
    entities: list[JSON] = field(default_factory=list)
    message: JSON = field(default_factory=dict)

    @property
    def caption(self) -> str | None:
        return None if self.method == "sendMessage" else self.text

    @property
    def buttons(self) -> list[JSON]:
        """Inline keyboard buttons, row by row, flattened."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [button for row in rows for button in row]

    @property
    def callback_data(self) -> list[str]:
        return [b["callback_data"] for b in self.buttons if "callback_data" in b]

    def to_json(self) -> JSON:
        return asdict(self)

    @classmethod
    def from_json(cls, data: JSON) -> SentMessage:
        return cls(**data)

    def summary(self) -> str:
        """One line for error messages and the standalone console."""
        text = (self.plain_text if self.plain_text is not None else self.text) or ""
        short = text if len(text) <= 80 else text[:77] + "..."
        buttons = f" buttons={self.callback_data}" if self.buttons else ""
        where = f"#{self.index} {self.method} chat={self.chat_id} id={self.message_id}"
        return f"{where}: {short!r}{buttons}"
