"""Turns Rasa replies into front-end-neutral outgoing messages.

Kept free of Telegram types so the terminal chat renders the very same messages (buttons as
numbered choices) and so the rules (message size, callback-data size) are unit-testable.
Texts are sent as plain text, never with a parse mode: a seller's `<`, `>` or `&` echoed back,
or an answer containing them, can then never cause a Telegram "can't parse entities" error.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from bot.rasa_client import RasaButton, RasaReply

log = logging.getLogger(__name__)

TELEGRAM_TEXT_LIMIT = 4096
TELEGRAM_CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
SHORT_TITLE = 18  # two buttons of this length still fit side by side on a phone


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class Document:
    """A file the bot uploads (a certificate PDF); the message text becomes its caption."""

    filename: str
    content: bytes = field(repr=False)


@dataclass(frozen=True)
class Media:
    """A photo or document Telegram already has (a file id the same bot received)."""

    kind: str  # photo, document
    file_id: str


@dataclass(frozen=True)
class OutgoingMessage:
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()  # rows of buttons
    image_url: str | None = None
    document: Document | None = None
    media: Media | None = None
    # Only for text a trainer wrote in Telegram (its formatting as Telegram HTML); seller-facing
    # answers stay plain text (see the module docstring).
    parse_mode: str | None = None

    @property
    def flat_buttons(self) -> list[Button]:
        return [b for row in self.buttons for b in row]


@dataclass(frozen=True)
class Notice:
    """A message for someone other than the seller (the support team's chat)."""

    chat_id: int
    message: OutgoingMessage


def split_text(text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """Split long text into parts within `limit`, preferring paragraph, line, then word breaks."""
    text = text.strip()
    if not text:
        return []
    parts: list[str] = []
    while len(text) > limit:
        window = text[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
        if cut < limit // 2:
            cut = limit  # no natural break in the second half: hard cut
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        parts.append(text)
    return parts


def fits_callback_data(payload: str) -> bool:
    return 0 < len(payload.encode("utf-8")) <= CALLBACK_DATA_LIMIT


def layout_buttons(buttons: Iterable[RasaButton]) -> tuple[tuple[Button, ...], ...]:
    """Two short buttons per row, long ones alone; drop payloads Telegram would reject."""
    rows: list[tuple[Button, ...]] = []
    pending: list[Button] = []
    for raw in buttons:
        if not fits_callback_data(raw.payload):
            log.warning("dropping button %r: payload exceeds Telegram's 64-byte limit", raw.title)
            continue
        button = Button(title=raw.title, payload=raw.payload)
        if len(button.title) > SHORT_TITLE:
            if pending:
                rows.append(tuple(pending))
                pending = []
            rows.append((button,))
            continue
        pending.append(button)
        if len(pending) == 2:
            rows.append(tuple(pending))
            pending = []
    if pending:
        rows.append(tuple(pending))
    return tuple(rows)


def render_replies(replies: Sequence[RasaReply]) -> list[OutgoingMessage]:
    """One outgoing message per text part; a reply's buttons go on its last part."""
    messages: list[OutgoingMessage] = []
    for reply in replies:
        keyboard = layout_buttons(reply.buttons)
        if reply.image and not reply.text:
            messages.append(OutgoingMessage(text="", buttons=keyboard, image_url=reply.image))
            continue
        parts = split_text(reply.text or "")
        if reply.image:
            messages.append(OutgoingMessage(text="", image_url=reply.image))
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            messages.append(OutgoingMessage(text=part, buttons=keyboard if last else ()))
        if not parts and keyboard and messages:
            # Buttons without text: attach them to the previous message of this turn.
            previous = messages[-1]
            messages[-1] = OutgoingMessage(
                text=previous.text,
                buttons=previous.buttons + keyboard,
                image_url=previous.image_url,
            )
    return messages
