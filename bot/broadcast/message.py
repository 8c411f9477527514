"""What a broadcast looks like in a seller's chat: the trainer's content, the opt-out footer and
an optional button. One function, used by the sender and by the /siaran preview, so the
preview is exactly what sellers get."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Final, Protocol

from bot.learning import callbacks
from bot.rendering import (
    TELEGRAM_CAPTION_LIMIT,
    TELEGRAM_TEXT_LIMIT,
    Button,
    Media,
    OutgoingMessage,
)

FOOTER: Final = "\n\n—\nTidak ingin menerima siaran lagi? Ketik /berhenti."


def telegram_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji outside the BMP counts 2)."""
    return len(text.encode("utf-16-le")) // 2


# Room for the trainer's text once the footer is added.
TEXT_LIMIT: Final = TELEGRAM_TEXT_LIMIT - telegram_length(FOOTER)
CAPTION_LIMIT: Final = TELEGRAM_CAPTION_LIMIT - telegram_length(FOOTER)


class HasContent(Protocol):
    """A `Broadcast` or a `BroadcastDraft` row."""

    @property
    def text(self) -> str | None: ...
    @property
    def parse_mode(self) -> str | None: ...
    @property
    def media_kind(self) -> str | None: ...
    @property
    def media_file_id(self) -> str | None: ...
    @property
    def module_key(self) -> str | None: ...
    @property
    def lesson_id(self) -> int | None: ...


@dataclass(frozen=True)
class BroadcastContent:
    text: str
    parse_mode: str | None = None
    media_kind: str | None = None
    media_file_id: str | None = None
    module_key: str | None = None
    lesson_id: int | None = None

    @classmethod
    def of(cls, row: HasContent) -> BroadcastContent:
        return cls(
            text=row.text or "",
            parse_mode=row.parse_mode,
            media_kind=row.media_kind,
            media_file_id=row.media_file_id,
            module_key=row.module_key,
            lesson_id=row.lesson_id,
        )

    @property
    def button(self) -> Button | None:
        if self.lesson_id is not None:
            return Button("📖 Buka pelajaran", callbacks.part(self.lesson_id, 0))
        if self.module_key:
            return Button("📚 Buka modul", callbacks.module(self.module_key))
        return None

    @property
    def media(self) -> Media | None:
        if self.media_kind and self.media_file_id:
            return Media(self.media_kind, self.media_file_id)
        return None

    def outgoing(self) -> OutgoingMessage:
        button = self.button
        return OutgoingMessage(
            text=self.text + FOOTER,
            buttons=((button,),) if button else (),
            media=self.media,
            parse_mode=self.parse_mode,
        )


# Telegram's HTML subset (Bot API "HTML style"); anything else makes every send fail with 400.
ALLOWED_TAGS: Final = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "a",
        "code",
        "pre",
        "span",
        "tg-spoiler",
        "tg-emoji",
        "blockquote",
    }
)


_BARE_LT: Final = re.compile(r"<(?![a-zA-Z/])")
_BARE_AMP: Final = re.compile(r"&(?!#?\w+;)")


class _TagChecker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.problem: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problem = self.problem or f"tag <{tag}> tidak didukung Telegram"
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.problem = self.problem or f"tag </{tag}> tidak punya pasangan"
            return
        self.open.pop()


def html_problem(text: str) -> str | None:
    """Why Telegram would reject `text` as HTML, or None. Checked before a broadcast is saved
    from the CLI: a bad tag would otherwise fail for every recipient."""
    if _BARE_LT.search(text):
        return "tanda < di luar tag harus ditulis &lt;"
    if _BARE_AMP.search(text):
        return "tanda & harus ditulis &amp;"
    checker = _TagChecker()
    checker.feed(text)
    checker.close()
    if checker.problem:
        return checker.problem
    if checker.open:
        return f"tag <{checker.open[-1]}> belum ditutup"
    return None
