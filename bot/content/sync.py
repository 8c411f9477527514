"""Imports a validated `Catalogue` into the database, idempotently.

Running it twice changes nothing the second time. Edited lessons are updated in place (their id,
and so every seller's progress and every button already sent, stays the same); lessons or modules
removed from the files are retired, never deleted. The caller owns the session and commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.content.model import Catalogue, Lesson, Module
from bot.db.models import ContentLesson, ContentModule, ContentQuestion, utcnow


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.retired)

    def summary(self) -> str:
        return (
            f"{len(self.added)} ditambah, {len(self.updated)} diperbarui, "
            f"{len(self.retired)} dipensiunkan, {self.unchanged} tidak berubah"
        )


def _sync_questions(row: ContentLesson, lesson: Lesson, now: datetime) -> None:
    by_position = {q.position: q for q in row.questions}
    for position, question in enumerate(lesson.quiz):
        target = by_position.pop(position, None)
        if target is None:
            target = ContentQuestion(position=position)
            row.questions.append(target)
        target.question = question.question
        target.options = [[key, text] for key, text in question.options]
        target.answer = question.answer
        target.explanation = question.explanation
        target.retired_at = None
    for leftover in by_position.values():
        if leftover.retired_at is None:
            leftover.retired_at = now


def _apply_lesson(row: ContentLesson, lesson: Lesson, position: int, now: datetime) -> None:
    row.position = position
    row.title = lesson.title
    row.minutes = lesson.minutes
    row.parts = [{"heading": p.heading, "text": p.text} for p in lesson.parts]
    row.sources = list(lesson.sources)
    row.fingerprint = lesson.fingerprint()
    row.retired_at = None
    row.updated_at = now
    _sync_questions(row, lesson, now)


def _sync_module(
    session: Session, row: ContentModule | None, module: Module, report: SyncReport, now: datetime
) -> None:
    if row is None:
        row = ContentModule(key=module.key)
        session.add(row)
        report.added.append(f"modul {module.key}")
    fields = {
        "number": module.number,
        "title": module.title,
        "topic": module.topic,
        "summary": module.summary,
    }
    if row.retired_at is not None or any(getattr(row, k) != v for k, v in fields.items()):
        if row.id is not None:
            report.updated.append(f"modul {module.key}")
        for name, value in fields.items():
            setattr(row, name, value)
        row.retired_at = None
        row.updated_at = now

    existing = {lesson.key: lesson for lesson in row.lessons}
    for position, lesson in enumerate(module.lessons):
        name = f"{module.key}/{lesson.key}"
        lesson_row = existing.pop(lesson.key, None)
        if lesson_row is None:
            lesson_row = ContentLesson(key=lesson.key)
            row.lessons.append(lesson_row)
            _apply_lesson(lesson_row, lesson, position, now)
            report.added.append(f"pelajaran {name}")
        elif (
            lesson_row.fingerprint == lesson.fingerprint()
            and lesson_row.position == position
            and lesson_row.retired_at is None
        ):
            report.unchanged += 1
        else:
            _apply_lesson(lesson_row, lesson, position, now)
            report.updated.append(f"pelajaran {name}")
    for leftover in existing.values():
        if leftover.retired_at is None:
            leftover.retired_at = now
            report.retired.append(f"pelajaran {module.key}/{leftover.key}")


def sync_catalogue(session: Session, catalogue: Catalogue) -> SyncReport:
    """Brings the content tables in line with `catalogue`; returns what changed."""
    now = utcnow()
    report = SyncReport()
    rows = {row.key: row for row in session.scalars(select(ContentModule))}
    for module in catalogue.modules:
        _sync_module(session, rows.pop(module.key, None), module, report, now)
    for row in rows.values():
        if row.retired_at is None:
            row.retired_at = now
            report.retired.append(f"modul {row.key}")
            for lesson in row.lessons:
                if lesson.retired_at is None:
                    lesson.retired_at = now
    session.flush()
    return report
