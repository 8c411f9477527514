"""Telegram's `parse_mode=HTML`: turn the markup into plain text plus MessageEntity dicts.

Telegram rejects text it cannot parse with `400 Bad Request: can't parse entities: ...`, and
that is one of the most common ways a bot breaks in production (a seller's name containing `<`
or `&` pasted into an HTML template). Parsing the same way here makes such bugs fail in tests.

The rules follow https://core.telegram.org/bots/api#html-style: only the tags below, the four
named entities `&lt; &gt; &amp; &quot;` plus numeric ones. Error texts mimic Telegram's
("Unsupported start tag "x" at byte offset N", ...). One deliberate difference: Telegram
tolerates a bare `&` that does not start an entity; the documentation says to escape it, so the
emulator rejects it by default (`strict_ampersand=False` gives Telegram's lenient behaviour).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tests.emulator.objects import utf16_len

#: Tag -> MessageEntity type.
TAGS: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",  # only with class="tg-spoiler"
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}

_ENTITY = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6}));")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_NAME_END = " \t\r\n>/"
_SPACE = " \t\r\n"


class EntityParseError(ValueError):
    """The text is not valid Telegram HTML; the message is what Telegram would say."""


@dataclass
class _OpenTag:
    name: str
    attrs: dict[str, str]
    start: int  # UTF-16 offset in the plain text
    byte_offset: int
    language: str | None = None


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _decode_entity(match: re.Match[str]) -> str | None:
    named, decimal, hexadecimal = match.groups()
    if named:
        return _NAMED[named]
    code = int(decimal) if decimal else int(hexadecimal, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


def _unescape_attribute(value: str) -> str:
    return _ENTITY.sub(lambda m: _decode_entity(m) or m.group(0), value)


class _Parser:
    def __init__(self, text: str, strict_ampersand: bool) -> None:
        self.text = text
        self.strict_ampersand = strict_ampersand
        self.pos = 0
        self.out: list[str] = []
        self.utf16 = 0
        self.stack: list[_OpenTag] = []
        self.entities: list[dict[str, Any]] = []

    def error(self, message: str, index: int | None = None) -> EntityParseError:
        if index is not None:
            message = message.replace("{offset}", str(_byte_offset(self.text, index)))
        return EntityParseError(message)

    def emit(self, chunk: str) -> None:
        self.out.append(chunk)
        self.utf16 += utf16_len(chunk)

    def run(self) -> tuple[str, list[dict[str, Any]]]:
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char == "&":
                self.ampersand()
            elif char == "<":
                if text.startswith("</", self.pos):
                    self.end_tag()
                else:
                    self.start_tag()
            else:
                nxt = self._next_special(self.pos)
                self.emit(text[self.pos : nxt])
                self.pos = nxt
        if self.stack:
            name = self.stack[-1].name
            raise self.error(f'Can\'t find end tag corresponding to start tag "{name}"')
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.out), self.entities

    def _next_special(self, start: int) -> int:
        indexes = [i for i in (self.text.find("&", start), self.text.find("<", start)) if i >= 0]
        return min(indexes) if indexes else len(self.text)

    def ampersand(self) -> None:
        match = _ENTITY.match(self.text, self.pos)
        decoded = _decode_entity(match) if match else None
        if match and decoded is not None:
            self.emit(decoded)
            self.pos = match.end()
            return
        if self.strict_ampersand:
            raise self.error(
                'Unescaped "&" at byte offset {offset}: write it as &amp; '
                "(only &lt; &gt; &amp; &quot; and numeric entities are supported)",
                self.pos,
            )
        self.emit("&")
        self.pos += 1

    def start_tag(self) -> None:
        text, begin = self.text, self.pos
        end = begin + 1
        while end < len(text) and text[end] not in _NAME_END:
            end += 1
        if end >= len(text):
            raise self.error("Unclosed start tag at byte offset {offset}", begin)
        name = text[begin + 1 : end].lower()
        if not name:
            raise self.error("Empty start tag at byte offset {offset}", begin)
        if name not in TAGS:
            raise self.error(f'Unsupported start tag "{name}" at byte offset {{offset}}', begin)
        attrs, self.pos = self._attributes(name, end, begin)
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise self.error(
                'Tag "span" must have class "tg-spoiler" at byte offset {offset}', begin
            )
        if name == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
            raise self.error(
                'Tag "tg-emoji" must have a numeric "emoji-id" at byte offset {offset}', begin
            )
        self.stack.append(_OpenTag(name, attrs, self.utf16, _byte_offset(text, begin)))

    def _attributes(self, tag: str, index: int, begin: int) -> tuple[dict[str, str], int]:
        text = self.text
        attrs: dict[str, str] = {}
        while True:
            while index < len(text) and text[index] in _SPACE:
                index += 1
            if index >= len(text):
                raise self.error("Unclosed start tag at byte offset {offset}", begin)
            if text[index] == ">":
                return attrs, index + 1
            name_start = index
            while index < len(text) and (text[index].isalnum() or text[index] in "-_"):
                index += 1
            name = text[name_start:index].lower()
            if not name:
                raise self.error(
                    f'Unexpected character in the tag "{tag}" at byte offset {{offset}}', index
                )
            while index < len(text) and text[index] in _SPACE:
                index += 1
            value = ""
            if index < len(text) and text[index] == "=":
                index += 1
                while index < len(text) and text[index] in _SPACE:
                    index += 1
                if index < len(text) and text[index] in "\"'":
                    quote = text[index]
                    close = text.find(quote, index + 1)
                    if close < 0:
                        raise self.error("Unclosed start tag at byte offset {offset}", begin)
                    value = text[index + 1 : close]
                    index = close + 1
                else:
                    value_start = index
                    while index < len(text) and text[index] not in _SPACE + ">":
                        index += 1
                    value = text[value_start:index]
            attrs[name] = _unescape_attribute(value)

    def end_tag(self) -> None:
        begin = self.pos
        close = self.text.find(">", begin + 2)
        if close < 0:
            raise self.error("Unclosed end tag at byte offset {offset}", begin)
        name = self.text[begin + 2 : close].strip().lower()
        if not self.stack:
            raise self.error("Unexpected end tag at byte offset {offset}", begin)
        top = self.stack[-1]
        if name != top.name:
            raise self.error(
                f'Unmatched end tag at byte offset {{offset}}, expected "</{top.name}>", '
                f'found "</{name}>"',
                begin,
            )
        self.stack.pop()
        self.pos = close + 1
        self._close(top)

    def _close(self, tag: _OpenTag) -> None:
        length = self.utf16 - tag.start
        parent = self.stack[-1] if self.stack else None
        if tag.name == "code" and parent is not None and parent.name == "pre":
            # <pre><code class="language-x"> is one pre entity with a language.
            css = tag.attrs.get("class", "")
            if css.startswith("language-"):
                parent.language = css.removeprefix("language-")
            return
        if length <= 0:
            return  # Telegram drops empty entities
        entity: dict[str, Any] = {"type": TAGS[tag.name], "offset": tag.start, "length": length}
        if tag.name == "a":
            href = tag.attrs.get("href", "")
            if not href:
                return  # a link without a target is just text
            entity["url"] = href
        elif tag.name == "pre" and tag.language:
            entity["language"] = tag.language
        elif tag.name == "blockquote" and "expandable" in tag.attrs:
            entity["type"] = "expandable_blockquote"
        elif tag.name == "tg-emoji":
            entity["custom_emoji_id"] = tag.attrs["emoji-id"]
        self.entities.append(entity)


def parse_html(text: str, *, strict_ampersand: bool = True) -> tuple[str, list[dict[str, Any]]]:
    """Return `(plain_text, entities)` for Telegram HTML, or raise `EntityParseError`.

    Entity offsets and lengths are in UTF-16 code units, as in the Bot API.
    """
    return _Parser(text, strict_ampersand).run()
