"""Checks the assistant's specific answers (`domain/<topic>.yml`) for sources, with file and line.

A seller acts on what the assistant says about fees, deadlines and regulations, so an answer
that states a number, a percentage, a date or a regulation must say where it comes from
(`metadata.sumber`, shown behind the "📎 Sumber" button; docs/panduan-konten.md section 5).
Every answer carries at least one source on its default variation; a platform variation may
carry its own, otherwise it inherits the default's. Run by `akar content check` (part of
`make test`) together with the module check.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from bot.content.loader import Problem, _line_of

ANSWER_PREFIX = "utter_tanya_"
# What counts as a stated fact: any digit (fees, days, Rp, percentages, years, article numbers),
# a percent sign, a month name (a date written out), or a regulation's name.
_FACT = re.compile(
    r"\d|%|\b(?:PP|UU|Permen\w*|Perpres|Perpu|PMK|Pasal|Peraturan|Undang-Undang)\b|"
    r"\b(?:Januari|Februari|Maret|April|Mei|Juni|Juli|Agustus|September|Oktober|November|"
    r"Desember)\b"
)
_DATE = re.compile(r"^\d{4}(?:-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?)?$")
_CHECKED = re.compile(r"^\d{4}-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?$")
_URL = re.compile(r"^https?://[^\s]+$")


def states_a_fact(text: str) -> bool:
    return _FACT.search(text) is not None


def _sources(variation: Any) -> Any:
    metadata = variation.get("metadata") if isinstance(variation, CommentedMap) else None
    return metadata.get("sumber") if isinstance(metadata, CommentedMap) else None


def _check_sources(path: Path, name: str, sources: Any, problems: list[Problem]) -> None:
    if not isinstance(sources, CommentedSeq) or not sources:
        return
    for index, source in enumerate(sources):
        line = _line_of(sources, index)
        if not isinstance(source, CommentedMap):
            problems.append(
                Problem(path, line, f"{name}: sumber harus berisi penerbit, judul, dicek")
            )
            continue
        for key in ("penerbit", "judul"):
            if not str(source.get(key) or "").strip():
                problems.append(Problem(path, line, f"{name}: sumber tanpa '{key}'"))
        for key in ("tanggal", "dicek"):
            # Unquoted, YAML reads 2025-09-24 as a date, which Rasa cannot send to the action
            # server as JSON: every answer would fail.
            if source.get(key) is not None and not isinstance(source.get(key), str):
                message = f"{name}: tulis '{key}' dalam tanda kutip, misalnya \"2025-09-24\""
                problems.append(Problem(path, line, message))
        checked = str(source.get("dicek") or "")
        if not _CHECKED.match(checked):
            problems.append(
                Problem(path, line, f"{name}: 'dicek' harus tanggal YYYY-MM atau YYYY-MM-DD")
            )
        if source.get("tanggal") is not None and not _DATE.match(str(source["tanggal"])):
            problems.append(
                Problem(path, line, f"{name}: 'tanggal' harus YYYY, YYYY-MM atau YYYY-MM-DD")
            )
        if source.get("url") is not None and not _URL.match(str(source["url"])):
            problems.append(Problem(path, line, f"{name}: 'url' harus diawali https://"))


def _answers(domain_dir: Path, problems: list[Problem]) -> Iterator[tuple[Path, str, CommentedSeq]]:
    yaml = YAML(typ="rt", pure=True)
    for path in sorted(domain_dir.glob("*.yml")):
        try:
            data = yaml.load(path.read_text(encoding="utf-8"))
        except MarkedYAMLError as exc:
            line = exc.problem_mark.line + 1 if exc.problem_mark else 1
            problems.append(Problem(path, line, f"YAML tidak valid: {exc.problem}"))
            continue
        responses = data.get("responses") if isinstance(data, CommentedMap) else None
        for name, variations in (responses or {}).items():
            is_answer = str(name).startswith(ANSWER_PREFIX) and "/" in str(name)
            if is_answer and isinstance(variations, CommentedSeq):
                yield path, str(name), variations


def check_answers(domain_dir: str | Path) -> tuple[int, list[Problem]]:
    """(number of answers checked, problems): every answer has sources on its default
    variation, and every variation that states a fact has sources of its own or inherited."""
    problems: list[Problem] = []
    count = 0
    for path, name, variations in _answers(Path(domain_dir), problems):
        count += 1
        default = next(
            (v for v in variations if isinstance(v, CommentedMap) and not v.get("condition")),
            None,
        )
        inherited = _sources(default) if default is not None else None
        if not inherited:
            problems.append(
                Problem(path, _line_of(variations, None), f"{name}: jawaban belum punya sumber")
            )
        for index, variation in enumerate(variations):
            if not isinstance(variation, CommentedMap):
                continue
            own = _sources(variation)
            _check_sources(path, name, own, problems)
            text = str(variation.get("text") or "")
            if states_a_fact(text) and not (own or inherited):
                problems.append(
                    Problem(
                        path,
                        _line_of(variations, index),
                        f"{name}: menyebut angka, tanggal atau aturan tanpa sumber",
                    )
                )
    return count, problems
