"""Reads `content/modules/*/` and checks everything a trainer can get wrong, with file and line.

All problems are collected before failing, so a trainer fixes a file in one pass instead of one
error per run. Nothing here touches the database: `sync` takes the validated `Catalogue`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from bot.content.model import (
    LESSONS_PER_MODULE,
    MAX_EXPLANATION_CHARS,
    MAX_OPTION_CHARS,
    MAX_PART_CHARS,
    MAX_QUESTION_CHARS,
    MAX_SUMMARY_CHARS,
    MAX_TITLE_CHARS,
    OPTION_KEYS,
    OPTIONS_PER_QUESTION,
    QUESTIONS_PER_LESSON,
    Catalogue,
    Lesson,
    Module,
    Part,
    QuizQuestion,
)

MODULE_FILE = "module.yml"
_MODULE_ID = re.compile(r"^[a-z][a-z0-9_]{0,19}$")
_LESSON_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,23}$")
_TOPIC = re.compile(r"^tanya_[a-z_]+$")
# Telegram gets plain text: Markdown or HTML markup would show up as stray characters.
_MARKUP = ("**", "__", "](", "<b>", "<i>", "<a ", "</")


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class ContentError(Exception):
    """Invalid content; knows how to present every problem (file:line: message)."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the content")
        self.problems = problems

    def format_message(self) -> str:
        lines = [f"Konten belum valid ({len(self.problems)} masalah):"]
        lines += [f"  {problem}" for problem in self.problems]
        return "\n".join(lines)


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: Path, line: int, message: str) -> None:
        self.problems.append(Problem(path, line, message))


def _line_of(node: Any, key: str | int | None = None, offset: int = 0) -> int:
    """1-based line of a mapping key or sequence item in a ruamel document (+ offset)."""
    try:
        if key is None:
            return int(node.lc.line) + 1 + offset
        if isinstance(node, CommentedMap):
            return int(node.lc.key(key)[0]) + 1 + offset
        if isinstance(node, CommentedSeq):
            return int(node.lc.item(key)[0]) + 1 + offset
    except (AttributeError, KeyError, IndexError, TypeError):
        pass
    return 1 + offset


def _yaml() -> YAML:
    return YAML(typ="rt", pure=True)


def _text(
    errors: _Collector,
    path: Path,
    data: CommentedMap,
    key: str,
    limit: int,
    offset: int,
    *,
    required: bool = True,
) -> str:
    value = data.get(key)
    line = _line_of(data, key, offset) if key in data else _line_of(data, None, offset)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.add(path, line, f"'{key}' wajib diisi")
        return ""
    if not isinstance(value, str | int | float):
        errors.add(path, line, f"'{key}' harus berupa teks")
        return ""
    text = " ".join(str(value).split()) if limit <= MAX_SUMMARY_CHARS else str(value).strip()
    if len(text) > limit:
        errors.add(path, line, f"'{key}' terlalu panjang ({len(text)} > {limit} karakter)")
    for markup in _MARKUP:
        if markup in text:
            errors.add(path, line, f"'{key}' memakai markup {markup!r}; tulis teks biasa")
    return text


def _split_front_matter(path: Path, raw: str, errors: _Collector) -> tuple[str, str, int] | None:
    """(front matter, body, line where the body starts); the file must open with '---'."""
    lines = raw.splitlines()
    if not lines or lines[0].strip() != "---":
        errors.add(path, 1, "pelajaran harus diawali blok '---' (front matter)")
        return None
    for index in range(1, len(lines)):
        if lines[index].strip() == "---":
            front = "\n".join(lines[1:index])
            body = "\n".join(lines[index + 1 :])
            return front, body, index + 2
    errors.add(path, 1, "blok front matter tidak ditutup dengan '---'")
    return None


def _parts(path: Path, body: str, first_line: int, errors: _Collector) -> tuple[Part, ...]:
    sections: list[tuple[str, list[str], int]] = []
    heading, start = "", first_line
    buffer: list[str] = []
    for offset, raw_line in enumerate(body.splitlines()):
        if raw_line.startswith("## "):
            if heading or any(x.strip() for x in buffer):
                sections.append((heading, buffer, start))
            heading, buffer, start = raw_line[3:].strip(), [], first_line + offset
        else:
            buffer.append(raw_line)
    if heading or any(x.strip() for x in buffer):
        sections.append((heading, buffer, start))
    parts: list[Part] = []
    for heading, lines, line in sections:
        text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines).strip())
        part = Part(heading=heading, text=text)
        if not text:
            errors.add(path, line, f"bagian '{heading}' kosong")
        rendered = part.render()
        if len(rendered) > MAX_PART_CHARS:
            errors.add(
                path, line, f"bagian terlalu panjang ({len(rendered)} > {MAX_PART_CHARS} karakter)"
            )
        for markup in _MARKUP:
            if markup in text:
                errors.add(path, line, f"markup {markup!r} di teks; tulis teks biasa")
        if text.lstrip().startswith("# "):
            errors.add(path, line, "pakai '## ' untuk judul bagian")
        parts.append(part)
    if not parts:
        errors.add(path, first_line, "isi pelajaran kosong")
    return tuple(parts)


def _quiz(
    path: Path, front: CommentedMap, offset: int, errors: _Collector
) -> tuple[QuizQuestion, ...]:
    quiz = front.get("quiz")
    low, high = QUESTIONS_PER_LESSON
    if not isinstance(quiz, CommentedSeq) or not low <= len(quiz) <= high:
        errors.add(path, _line_of(front, "quiz", offset), f"'quiz' harus berisi {low}-{high} soal")
        return ()
    questions: list[QuizQuestion] = []
    for index, item in enumerate(quiz):
        line = _line_of(quiz, index, offset)
        if not isinstance(item, CommentedMap):
            errors.add(path, line, "soal harus berisi question, options, answer, explanation")
            continue
        question = _text(errors, path, item, "question", MAX_QUESTION_CHARS, offset)
        explanation = _text(errors, path, item, "explanation", MAX_EXPLANATION_CHARS, offset)
        options = item.get("options")
        low_o, high_o = OPTIONS_PER_QUESTION
        parsed: list[tuple[str, str]] = []
        if not isinstance(options, CommentedMap) or not low_o <= len(options) <= high_o:
            errors.add(path, line, f"'options' harus berisi {low_o}-{high_o} pilihan (a, b, ...)")
        else:
            for key in options:
                key_line = _line_of(options, key, offset)
                if str(key) not in OPTION_KEYS:
                    errors.add(path, key_line, f"pilihan '{key}' harus salah satu dari a, b, c, d")
                    continue
                text = _text(errors, path, options, key, MAX_OPTION_CHARS, offset)
                parsed.append((str(key), text))
        answer = str(item.get("answer", "")).strip()
        if parsed and answer not in {key for key, _ in parsed}:
            errors.add(
                path,
                _line_of(item, "answer", offset) if "answer" in item else line,
                f"'answer' ({answer or 'kosong'}) bukan salah satu pilihan",
            )
        questions.append(QuizQuestion(question, tuple(parsed), answer, explanation))
    return tuple(questions)


def load_lesson(path: Path, errors: _Collector) -> Lesson | None:
    raw = path.read_text(encoding="utf-8")
    split = _split_front_matter(path, raw, errors)
    if split is None:
        return None
    front_text, body, body_line = split
    offset = 1  # front matter starts on the line after the opening '---'
    try:
        front = _yaml().load(front_text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark
        errors.add(path, (mark.line + 2) if mark else 1, f"YAML tidak valid: {exc.problem}")
        return None
    if not isinstance(front, CommentedMap):
        errors.add(path, 2, "front matter harus berisi id, title, minutes, sources, quiz")
        return None
    key = _text(errors, path, front, "id", 24, offset)
    if key and not _LESSON_ID.match(key):
        errors.add(path, _line_of(front, "id", offset), "'id' hanya huruf kecil, angka dan '-'")
    title = _text(errors, path, front, "title", MAX_TITLE_CHARS, offset)
    minutes = front.get("minutes")
    if not isinstance(minutes, int) or not 1 <= minutes <= 60:
        errors.add(path, _line_of(front, "minutes", offset), "'minutes' harus angka 1-60")
        minutes = 5
    sources = front.get("sources")
    if not isinstance(sources, CommentedSeq) or not 1 <= len(sources) <= 6:
        errors.add(path, _line_of(front, "sources", offset), "'sources' harus berisi 1-6 sumber")
        sources = []
    clean_sources = tuple(" ".join(str(s).split()) for s in sources if str(s).strip())
    quiz = _quiz(path, front, offset, errors)
    parts = _parts(path, body, body_line, errors)
    return Lesson(key, title, minutes, parts, clean_sources, quiz, str(path))


def load_module(folder: Path, errors: _Collector) -> Module | None:
    path = folder / MODULE_FILE
    if not path.exists():
        errors.add(path, 1, "file module.yml tidak ada")
        return None
    try:
        data = _yaml().load(path.read_text(encoding="utf-8"))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark
        errors.add(path, (mark.line + 1) if mark else 1, f"YAML tidak valid: {exc.problem}")
        return None
    if not isinstance(data, CommentedMap):
        errors.add(path, 1, "module.yml harus berisi id, number, title, topic, summary, lessons")
        return None
    key = _text(errors, path, data, "id", 20, 0)
    if key and not _MODULE_ID.match(key):
        errors.add(path, _line_of(data, "id"), "'id' hanya huruf kecil, angka dan '_'")
    number = data.get("number")
    if not isinstance(number, int) or number < 1:
        errors.add(path, _line_of(data, "number"), "'number' harus angka mulai dari 1")
        number = 0
    title = _text(errors, path, data, "title", MAX_TITLE_CHARS, 0)
    topic = _text(errors, path, data, "topic", 40, 0)
    if topic and not _TOPIC.match(topic):
        errors.add(path, _line_of(data, "topic"), "'topic' harus nama intent topik, mis. tanya_cod")
    summary = _text(errors, path, data, "summary", MAX_SUMMARY_CHARS, 0)
    listed = data.get("lessons")
    low, high = LESSONS_PER_MODULE
    if not isinstance(listed, CommentedSeq) or not low <= len(listed) <= high:
        errors.add(path, _line_of(data, "lessons"), f"'lessons' harus berisi {low}-{high} file")
        listed = CommentedSeq()
    lessons: list[Lesson] = []
    seen: dict[str, int] = {}
    for index, name in enumerate(listed):
        line = _line_of(listed, index)
        lesson_path = folder / str(name)
        if not lesson_path.is_file():
            errors.add(path, line, f"file pelajaran '{name}' tidak ada")
            continue
        lesson = load_lesson(lesson_path, errors)
        if lesson is None:
            continue
        if lesson.key in seen:
            errors.add(
                lesson_path, 2, f"id '{lesson.key}' sudah dipakai pelajaran lain di modul ini"
            )
        seen[lesson.key] = index
        lessons.append(lesson)
    listed_names = {str(n) for n in listed}
    for stray in sorted(folder.glob("*.md")):
        if stray.name not in listed_names:
            errors.add(stray, 1, "pelajaran ini tidak tercantum di 'lessons' pada module.yml")
    return Module(key, number, title, topic, summary, tuple(lessons), str(path))


def _module_folders(root: Path) -> Iterator[Path]:
    yield from sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def load_catalogue(root: str | Path) -> Catalogue:
    """All modules under `root` (one folder each), or ContentError listing every problem."""
    root = Path(root)
    errors = _Collector()
    if not root.is_dir():
        raise ContentError([Problem(root, 1, "folder konten tidak ditemukan")])
    modules: list[Module] = []
    for folder in _module_folders(root):
        module = load_module(folder, errors)
        if module is not None:
            modules.append(module)
    for attribute, label in (("key", "id"), ("number", "number")):
        owners: dict[Any, str] = {}
        for module in modules:
            value = getattr(module, attribute)
            if value in owners:
                errors.add(
                    Path(module.source_file), 1, f"{label} '{value}' sudah dipakai {owners[value]}"
                )
            owners[value] = module.source_file
    if errors.problems:
        raise ContentError(errors.problems)
    return Catalogue(tuple(sorted(modules, key=lambda m: m.number)))
