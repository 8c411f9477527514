"""Writing staff's NLU annotations into the training data (`nlu/dari_tinjauan.yml`).

One file, rewritten whole each time: its previous examples plus the new ones, grouped by intent,
with a comment header saying where they come from. An example's text is compared with annotation
markup removed, case and spacing folded (the rule of tests/test_nlu_data.py). A new example
- already in nlu/*.yml or earlier in the batch under the same intent is skipped ("duplicate");
- already in this file under another intent, from an earlier export, is moved to the new intent
  (staff corrected their own earlier correction);
- already in the hand-written data (or earlier in the batch) under another intent is skipped
  with a warning ("conflict"): someone has to decide which intent is right;
- that is a message of the held-out test set (tests/nlu/test_nlu.yml) is skipped with a
  warning: training on it would make the evaluation lie;
- that contains text Rasa would read as entity markup ("[x](y)") is skipped with a warning.
Of several pending annotations of one message (made before re-annotating replaced them), only
the latest counts; the others are skipped as "replaced".
Every processed annotation gets `exported_at` (written, moved or skipped: there is nothing left
to export for it); the result says which was which. After an export, `make train` learns them.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import sqlalchemy as sa
from ruamel.yaml import YAML
from sqlalchemy.orm import Session, sessionmaker

from bot.db.models import NluAnnotation, utcnow
from bot.db.session import session_scope
from bot.support.intents import PROJECT_ROOT, known_intents

NLU_DIR: Final = PROJECT_ROOT / "nlu"
HELD_OUT: Final = PROJECT_ROOT / "tests" / "nlu" / "test_nlu.yml"
FILE_NAME: Final = "dari_tinjauan.yml"

_ANNOTATION: Final = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")
# What Rasa's training-data reader would take for an entity: [text](...), [text]{...}, [text][...]
_MARKUP: Final = re.compile(r"\[[^\]]+\][(\[{]")


@dataclass(frozen=True)
class Skipped:
    annotation_id: int
    intent: str
    example: str
    # "duplicate", "replaced", "conflict", "held_out", "markup", "unknown_intent"
    reason: str
    other_intent: str | None = None  # "conflict": the intent the example already has


@dataclass(frozen=True)
class Moved:
    """An example of an earlier export, moved to the intent a newer annotation gives it."""

    annotation_id: int
    from_intent: str
    intent: str
    example: str


# Skips nobody needs to act on.
QUIET_REASONS: Final = frozenset({"duplicate", "replaced"})


@dataclass
class ExportResult:
    path: Path
    written: list[tuple[str, str]] = field(default_factory=list)  # (intent, example)
    moved: list[Moved] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether the file was rewritten (and the model needs training)."""
        return bool(self.written or self.moved)

    @property
    def warnings(self) -> list[Skipped]:
        """Skips someone should know about (not plain duplicates)."""
        return [s for s in self.skipped if s.reason not in QUIET_REASONS]


def plain(example: str) -> str:
    """The message as a seller would type it: annotations removed, case and spacing folded."""
    return " ".join(_ANNOTATION.sub(r"\1", example).lower().split())


def clean(example: str) -> str:
    """One line of printable text: whitespace (YAML line breaks such as U+2028 included) folded
    to single spaces, control characters (which YAML forbids) dropped."""
    printable = "".join(
        " " if unicodedata.category(c) in ("Cc", "Cs") or c in "\ufffe\uffff" else c
        for c in example
    )
    return " ".join(printable.split())


def _load(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return YAML(typ="safe", pure=True).load(handle) or {}


def examples_of(path: Path) -> dict[str, list[str]]:
    """Examples per intent of one NLU file, as written (markup kept)."""
    found: dict[str, list[str]] = defaultdict(list)
    for block in _load(path).get("nlu") or []:
        if isinstance(block, dict) and "intent" in block:
            lines = str(block.get("examples", "")).splitlines()
            found[str(block["intent"])] += [
                line.strip()[2:].strip() for line in lines if line.strip().startswith("- ")
            ]
    return found


def render(examples: dict[str, list[str]], today: datetime) -> str:
    """The file's text: header, then one block per intent (sorted), examples in order."""
    lines = [
        "# Examples from support review: staff corrected messages the assistant misunderstood",
        "# in the support desk, and `akar nlu export-annotations` wrote them here.",
        f"# Last export: {today:%Y-%m-%d}. Do not copy held-out messages (tests/nlu/) here.",
        'version: "3.1"',
        "",
        "nlu:",
    ]
    for intent in sorted(examples):
        lines += [f"  - intent: {intent}", "    examples: |"]
        lines += [f"      - {example}" for example in examples[intent]]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def export_annotations(
    session: Session,
    *,
    nlu_dir: Path = NLU_DIR,
    held_out: Path = HELD_OUT,
    domain_dir: Path | None = None,
    now: datetime | None = None,
) -> ExportResult:
    """Write pending annotations to `nlu_dir/dari_tinjauan.yml` and mark them exported.

    The file is written before the caller commits; if the commit then fails, the next export
    finds those examples in the file and just marks them (nothing is written twice).
    """
    now = now or utcnow()
    target = nlu_dir / FILE_NAME
    result = ExportResult(path=target)
    pending = list(
        session.scalars(
            sa.select(NluAnnotation)
            .where(NluAnnotation.exported_at.is_(None))
            .order_by(NluAnnotation.id)
        )
    )
    if not pending:
        return result

    # Where each known example is: its intent, and whether it is this file's from an earlier
    # export ("ours"), the hand-written data ("data") or this batch ("batch").
    seen: dict[str, tuple[str, str]] = {}
    for path in sorted(nlu_dir.glob("*.yml")):
        source = "ours" if path.name == FILE_NAME else "data"
        for intent, examples in examples_of(path).items():
            for example in examples:
                key = plain(example)
                if key not in seen or seen[key][1] == "ours":
                    seen[key] = (intent, source)
    held = (
        {plain(e) for examples in examples_of(held_out).values() for e in examples}
        if held_out.exists()
        else set()
    )
    choices = known_intents(domain_dir) if domain_dir is not None else known_intents()
    merged = examples_of(target) if target.exists() else defaultdict(list)
    latest = {a.message_id: a.id for a in pending if a.message_id is not None}

    for annotation in pending:
        annotation.exported_at = now
        example = clean(annotation.example)
        key = plain(example)
        known = seen.get(key)
        reason = None
        if annotation.message_id is not None and latest[annotation.message_id] != annotation.id:
            reason = "replaced"  # a newer annotation of the same message counts instead
        elif annotation.intent not in choices:
            reason = "unknown_intent"  # the domain changed since it was recorded
        elif not key or (known is not None and known[0] == annotation.intent):
            reason = "duplicate"
        elif key in held:
            reason = "held_out"
        elif _MARKUP.search(example):
            reason = "markup"
        elif known is not None and known[1] == "ours":
            old_intent = known[0]
            merged[old_intent] = [e for e in merged[old_intent] if plain(e) != key]
            if not merged[old_intent]:
                del merged[old_intent]
            merged[annotation.intent].append(example)
            seen[key] = (annotation.intent, "batch")
            result.moved.append(Moved(annotation.id, old_intent, annotation.intent, example))
            continue
        elif known is not None:
            result.skipped.append(
                Skipped(annotation.id, annotation.intent, example, "conflict", known[0])
            )
            continue
        if reason is None:
            merged[annotation.intent].append(example)
            seen[key] = (annotation.intent, "batch")
            result.written.append((annotation.intent, example))
        else:
            result.skipped.append(Skipped(annotation.id, annotation.intent, example, reason))

    if result.changed:
        _write_atomically(target, render(merged, now))
    return result


def export_pending(
    session_factory: sessionmaker[Session], *, nlu_dir: Path = NLU_DIR, held_out: Path = HELD_OUT
) -> ExportResult:
    """One export in its own transaction: what the desk's "Ekspor" button and the CLI call."""
    with session_scope(session_factory) as session:
        return export_annotations(session, nlu_dir=nlu_dir, held_out=held_out)


REASONS: Final = {
    "duplicate": "sudah ada di data latih",
    "replaced": "diganti anotasi yang lebih baru untuk pesan yang sama",
    "conflict": "kalimat yang sama sudah ada di data latih dengan intent lain",
    "held_out": "sama dengan pesan di data uji (tests/nlu), tidak boleh dipakai melatih",
    "markup": "berisi teks yang akan dibaca Rasa sebagai tanda entitas ([..](..))",
    "unknown_intent": "intent tidak ada lagi di domain",
}


def reason_text(skipped: Skipped) -> str:
    """Why it was skipped, in Indonesian (with the other intent of a conflict)."""
    text = REASONS.get(skipped.reason, skipped.reason)
    if skipped.other_intent:
        text += f" ({skipped.other_intent})"
    return text


def summary_lines(result: ExportResult) -> list[str]:
    """What happened, in Indonesian, for staff (CLI output and the desk's message)."""
    lines = [f"{len(result.written)} contoh baru ditulis ke {result.path.name}."]
    for moved in result.moved:
        lines.append(
            f"Anotasi #{moved.annotation_id}: {moved.example!r} dipindah dari {moved.from_intent} "
            f"ke {moved.intent}."
        )
    duplicates = sum(1 for s in result.skipped if s.reason == "duplicate")
    if duplicates:
        lines.append(f"{duplicates} dilewati karena sudah ada di data latih.")
    replaced = sum(1 for s in result.skipped if s.reason == "replaced")
    if replaced:
        lines.append(f"{replaced} dilewati karena diganti anotasi yang lebih baru.")
    for skipped in result.warnings:
        lines.append(
            f"Peringatan: anotasi #{skipped.annotation_id} ({skipped.intent}) "
            f"dilewati: {reason_text(skipped)}: {skipped.example!r}"
        )
    if result.changed:
        lines.append("Jalankan `make train` supaya model mempelajarinya.")
    return lines
