"""Short callback data for learning buttons (Telegram allows at most 64 bytes).

k:<page> catalogue · m:<module> module page · l:<lesson id>:<part> lesson part ·
q:<lesson id>:<n> quiz question n · a:<question id>:<option> an answer · c:<module> the
module's certificate · p progress · r resume.
Anything else is not a learning button (Rasa payloads start with "/").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

_PATTERN: Final = re.compile(
    r"^(?:(?P<simple>[pr])"
    r"|k:(?P<page>\d{1,2})"
    r"|(?P<screen>[mc]):(?P<module>[a-z][a-z0-9_]{0,19})"
    r"|(?P<kind>[lq]):(?P<lesson>\d{1,9}):(?P<index>\d{1,2})"
    r"|a:(?P<question>\d{1,9}):(?P<option>[a-d]))$"
)


@dataclass(frozen=True)
class LearningAction:
    kind: str  # catalogue, module, certificate, part, quiz, answer, progress, resume
    module: str | None = None
    lesson_id: int | None = None
    index: int = 0
    question_id: int | None = None
    option: str | None = None


def parse(data: str) -> LearningAction | None:
    match = _PATTERN.match(data or "")
    if match is None:
        return None
    if match["simple"]:
        return LearningAction("progress" if match["simple"] == "p" else "resume")
    if match["page"] is not None:
        return LearningAction("catalogue", index=int(match["page"]))
    if match["module"]:
        kind = "module" if match["screen"] == "m" else "certificate"
        return LearningAction(kind, module=match["module"])
    if match["kind"]:
        kind = "part" if match["kind"] == "l" else "quiz"
        return LearningAction(kind, lesson_id=int(match["lesson"]), index=int(match["index"]))
    return LearningAction("answer", question_id=int(match["question"]), option=match["option"])


def catalogue(page: int = 0) -> str:
    return f"k:{page}"


def module(key: str) -> str:
    return f"m:{key}"


def certificate(key: str) -> str:
    return f"c:{key}"


def part(lesson_id: int, index: int) -> str:
    return f"l:{lesson_id}:{index}"


def quiz(lesson_id: int, index: int) -> str:
    return f"q:{lesson_id}:{index}"


def answer(question_id: int, option: str) -> str:
    return f"a:{question_id}:{option}"


PROGRESS: Final = "p"
RESUME: Final = "r"
