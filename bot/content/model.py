"""The validated content, as plain immutable values (no database, no Telegram)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Final

# Telegram shows up to 4,096 characters per message; a lesson part is kept to a phone screen or
# two so sellers read it rather than scroll past it.
MAX_PART_CHARS: Final = 1500
MAX_TITLE_CHARS: Final = 80
MAX_SUMMARY_CHARS: Final = 300
MAX_QUESTION_CHARS: Final = 250
# Options become inline buttons: one per row, readable without being cut off.
MAX_OPTION_CHARS: Final = 60
MAX_EXPLANATION_CHARS: Final = 400
LESSONS_PER_MODULE: Final = (3, 5)
QUESTIONS_PER_LESSON: Final = (2, 3)
OPTIONS_PER_QUESTION: Final = (2, 4)
OPTION_KEYS: Final = ("a", "b", "c", "d")


@dataclass(frozen=True)
class QuizQuestion:
    question: str
    options: tuple[tuple[str, str], ...]  # (key, text), in the order shown
    answer: str
    explanation: str


@dataclass(frozen=True)
class Part:
    heading: str
    text: str

    def render(self) -> str:
        """The part as sent to Telegram (plain text: the heading becomes its own line)."""
        return f"📖 {self.heading}\n\n{self.text}" if self.heading else self.text


@dataclass(frozen=True)
class Lesson:
    key: str
    title: str
    minutes: int
    parts: tuple[Part, ...]
    sources: tuple[str, ...]
    quiz: tuple[QuizQuestion, ...]
    source_file: str

    def fingerprint(self) -> str:
        """Changes whenever anything a seller sees changes; sync compares it to skip writes."""
        data = asdict(self)
        data.pop("source_file")
        encoded = json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8")
        return hashlib.sha256(encoded).hexdigest()


@dataclass(frozen=True)
class Module:
    key: str
    number: int
    title: str
    topic: str
    summary: str
    lessons: tuple[Lesson, ...]
    source_file: str


@dataclass(frozen=True)
class Catalogue:
    modules: tuple[Module, ...]

    def module(self, key: str) -> Module | None:
        return next((m for m in self.modules if m.key == key), None)
