"""Reads the catalogue and records a seller's progress. Synchronous; the caller owns the session.

Only active (not retired) content is offered; progress in retired lessons is kept but no longer
counted towards a module, so a trainer removing a lesson never leaves a module impossible to
finish.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.db.models import (
    Certificate,
    ContentLesson,
    ContentModule,
    ContentQuestion,
    Direction,
    LessonProgress,
    Message,
    QuizAnswer,
    SellerProfile,
    utcnow,
)
from bot.learning import certificate


@dataclass(frozen=True)
class ModuleSummary:
    key: str
    number: int
    title: str
    summary: str
    done: int
    total: int

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.done >= self.total


@dataclass(frozen=True)
class LessonSummary:
    id: int
    position: int
    title: str
    minutes: int
    done: bool


@dataclass(frozen=True)
class PartView:
    module: ModuleSummary
    lesson_id: int
    lesson_position: int
    lesson_title: str
    index: int
    count: int
    heading: str
    text: str
    sources: tuple[str, ...]
    has_quiz: bool


@dataclass(frozen=True)
class QuestionView:
    lesson_id: int
    lesson_title: str
    question_id: int
    index: int
    count: int
    question: str
    options: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class AnswerResult:
    question: QuestionView
    chosen: str
    correct: bool
    answer: str
    explanation: str
    next_index: int | None  # the next question, or None when this was the last
    score: int | None = None  # set when the quiz is finished
    lesson_completed: bool = False
    module: ModuleSummary | None = None
    module_just_completed: bool = False
    next_lesson_id: int | None = None


def _active_lessons(session: Session, module_id: int) -> list[ContentLesson]:
    return list(
        session.scalars(
            select(ContentLesson)
            .where(ContentLesson.module_id == module_id, ContentLesson.retired_at.is_(None))
            .order_by(ContentLesson.position)
        )
    )


def _completed_lesson_ids(session: Session, seller_id: int) -> set[int]:
    return set(
        session.scalars(
            select(LessonProgress.lesson_id).where(
                LessonProgress.seller_id == seller_id, LessonProgress.completed_at.is_not(None)
            )
        )
    )


def _summary(session: Session, row: ContentModule, completed: set[int]) -> ModuleSummary:
    lessons = _active_lessons(session, row.id)
    done = sum(lesson.id in completed for lesson in lessons)
    return ModuleSummary(row.key, row.number, row.title, row.summary, done, len(lessons))


def list_modules(session: Session, seller_id: int) -> list[ModuleSummary]:
    completed = _completed_lesson_ids(session, seller_id)
    rows = session.scalars(
        select(ContentModule)
        .where(ContentModule.retired_at.is_(None))
        .order_by(ContentModule.number)
    )
    return [_summary(session, row, completed) for row in rows]


def module_page(
    session: Session, seller_id: int, key: str
) -> tuple[ModuleSummary, list[LessonSummary]] | None:
    row = session.scalars(
        select(ContentModule).where(ContentModule.key == key, ContentModule.retired_at.is_(None))
    ).first()
    if row is None:
        return None
    completed = _completed_lesson_ids(session, seller_id)
    lessons = [
        LessonSummary(
            lesson.id, lesson.position, lesson.title, lesson.minutes, lesson.id in completed
        )
        for lesson in _active_lessons(session, row.id)
    ]
    return _summary(session, row, completed), lessons


def _active_lesson(session: Session, lesson_id: int) -> ContentLesson | None:
    lesson = session.get(ContentLesson, lesson_id)
    if lesson is None or lesson.retired_at is not None or lesson.module.retired_at is not None:
        return None
    return lesson


def _progress_row(session: Session, seller_id: int, lesson_id: int) -> LessonProgress:
    row = session.scalars(
        select(LessonProgress).where(
            LessonProgress.seller_id == seller_id, LessonProgress.lesson_id == lesson_id
        )
    ).first()
    if row is None:
        row = LessonProgress(seller_id=seller_id, lesson_id=lesson_id, part=0)
        session.add(row)
    return row


def show_part(session: Session, seller_id: int, lesson_id: int, index: int) -> PartView | None:
    """The lesson part to show (clamped to the lesson), recorded as where the seller is."""
    lesson = _active_lesson(session, lesson_id)
    if lesson is None or not lesson.parts:
        return None
    index = max(0, min(index, len(lesson.parts) - 1))
    progress = _progress_row(session, seller_id, lesson_id)
    progress.part = index
    progress.updated_at = utcnow()
    session.flush()
    part = lesson.parts[index]
    completed = _completed_lesson_ids(session, seller_id)
    return PartView(
        module=_summary(session, lesson.module, completed),
        lesson_id=lesson.id,
        lesson_position=lesson.position,
        lesson_title=lesson.title,
        index=index,
        count=len(lesson.parts),
        heading=str(part.get("heading", "")),
        text=str(part.get("text", "")),
        sources=tuple(lesson.sources),
        has_quiz=any(q.retired_at is None for q in lesson.questions),
    )


def _active_questions(lesson: ContentLesson) -> list[ContentQuestion]:
    return [q for q in lesson.questions if q.retired_at is None]


def _question_view(lesson: ContentLesson, index: int) -> QuestionView | None:
    questions = _active_questions(lesson)
    if not 0 <= index < len(questions):
        return None
    question = questions[index]
    return QuestionView(
        lesson_id=lesson.id,
        lesson_title=lesson.title,
        question_id=question.id,
        index=index,
        count=len(questions),
        question=question.question,
        options=tuple((str(key), str(text)) for key, text in question.options),
    )


def quiz_question(
    session: Session, seller_id: int, lesson_id: int, index: int
) -> QuestionView | None:
    lesson = _active_lesson(session, lesson_id)
    if lesson is None:
        return None
    progress = _progress_row(session, seller_id, lesson_id)
    progress.part = max(progress.part, len(lesson.parts) - 1)
    progress.updated_at = utcnow()
    session.flush()
    return _question_view(lesson, index)


def answer(session: Session, seller_id: int, question_id: int, chosen: str) -> AnswerResult | None:
    """Records the answer; on the last question, scores the quiz and completes the lesson."""
    question = session.get(ContentQuestion, question_id)
    if question is None or question.retired_at is not None:
        return None
    lesson = _active_lesson(session, question.lesson_id)
    if lesson is None:
        return None
    keys = {str(key) for key, _ in question.options}
    if chosen not in keys:
        return None
    questions = _active_questions(lesson)
    index = next(i for i, q in enumerate(questions) if q.id == question.id)
    view = _question_view(lesson, index)
    assert view is not None
    correct = chosen == question.answer
    recorded = session.scalars(
        select(QuizAnswer).where(
            QuizAnswer.seller_id == seller_id, QuizAnswer.question_id == question_id
        )
    ).first()
    if recorded is None:
        recorded = QuizAnswer(seller_id=seller_id, question_id=question_id)
        session.add(recorded)
    recorded.chosen, recorded.correct, recorded.answered_at = chosen, correct, utcnow()
    session.flush()
    result = AnswerResult(
        question=view,
        chosen=chosen,
        correct=correct,
        answer=question.answer,
        explanation=question.explanation,
        next_index=index + 1 if index + 1 < len(questions) else None,
    )
    if result.next_index is not None:
        return result
    return _finish_quiz(session, seller_id, lesson, questions, result)


def _finish_quiz(
    session: Session,
    seller_id: int,
    lesson: ContentLesson,
    questions: list[ContentQuestion],
    result: AnswerResult,
) -> AnswerResult:
    score = session.scalar(
        select(func.count()).where(
            QuizAnswer.seller_id == seller_id,
            QuizAnswer.question_id.in_([q.id for q in questions]),
            QuizAnswer.correct.is_(True),
        )
    )
    before = _summary(session, lesson.module, _completed_lesson_ids(session, seller_id))
    progress = _progress_row(session, seller_id, lesson.id)
    progress.score = int(score or 0)
    progress.updated_at = utcnow()
    if progress.completed_at is None:
        progress.completed_at = utcnow()
    session.flush()
    after = _summary(session, lesson.module, _completed_lesson_ids(session, seller_id))
    following = [
        other
        for other in _active_lessons(session, lesson.module_id)
        if other.position > lesson.position
    ]
    return replace(
        result,
        score=int(score or 0),
        lesson_completed=True,
        module=after,
        module_just_completed=after.complete and not before.complete,
        next_lesson_id=following[0].id if following else None,
    )


def resume_point(session: Session, seller_id: int) -> tuple[int, int] | None:
    """(lesson id, part) of the most recently opened lesson that is not finished yet."""
    rows = session.scalars(
        select(LessonProgress)
        .where(LessonProgress.seller_id == seller_id, LessonProgress.completed_at.is_(None))
        .order_by(LessonProgress.updated_at.desc(), LessonProgress.id.desc())
    )
    for row in rows:
        if _active_lesson(session, row.lesson_id) is not None:
            return row.lesson_id, row.part
    return None


def completed_module_certificate(session: Session, seller_id: int, key: str) -> Certificate | None:
    """The seller's certificate for a module they have finished (issued now if needed)."""
    row = session.scalars(
        select(ContentModule).where(ContentModule.key == key, ContentModule.retired_at.is_(None))
    ).first()
    if row is None:
        return None
    if not _summary(session, row, _completed_lesson_ids(session, seller_id)).complete:
        return None
    return certificate.issue(session, seller_id, row.id)


@dataclass(frozen=True)
class Recommendation:
    lesson_id: int
    title: str
    module_number: int
    reason: str


# Where to start by experience (module keys in order of priority).
_START_BY_EXPERIENCE: dict[str, tuple[str, ...]] = {
    "belum": ("daftar_toko", "listing_produk", "harga"),
    "baru": ("listing_produk", "ongkir", "cod", "harga"),
    "jalan": ("algoritma", "pemasaran_digital", "retur_komplain"),
}
RECENT_QUESTIONS = 10


def _first_open_lesson(
    session: Session, module: ContentModule, completed: set[int]
) -> ContentLesson | None:
    lessons = _active_lessons(session, module.id)
    return next((lesson for lesson in lessons if lesson.id not in completed), None)


def recommend(session: Session, seller_id: int) -> Recommendation | None:
    """The next lesson: the one in progress, else the topic of recent questions, else by profile,
    else the first unfinished module in catalogue order."""
    point = resume_point(session, seller_id)
    if point is not None:
        lesson = session.get(ContentLesson, point[0])
        if lesson is not None:
            return Recommendation(
                lesson.id, lesson.title, lesson.module.number, "lanjutkan yang terakhir dibuka"
            )
    completed = _completed_lesson_ids(session, seller_id)
    modules = list(
        session.scalars(
            select(ContentModule)
            .where(ContentModule.retired_at.is_(None))
            .order_by(ContentModule.number)
        )
    )
    by_topic = {m.topic: m for m in modules}
    by_key = {m.key: m for m in modules}
    recent = session.scalars(
        select(Message.intent)
        .where(
            Message.seller_id == seller_id,
            Message.direction == Direction.IN,
            Message.intent.like("tanya\\_%", escape="\\"),
        )
        .order_by(Message.id.desc())
        .limit(RECENT_QUESTIONS)
    )
    for intent, _count in Counter(i for i in recent if i).most_common():
        module = by_topic.get(intent)
        lesson = _first_open_lesson(session, module, completed) if module else None
        if module and lesson:
            return Recommendation(
                lesson.id,
                lesson.title,
                module.number,
                f"sesuai pertanyaan Kakak soal {module.title}",
            )
    profile = session.scalars(
        select(SellerProfile).where(SellerProfile.seller_id == seller_id)
    ).first()
    if profile is not None and profile.experience in _START_BY_EXPERIENCE:
        for key in _START_BY_EXPERIENCE[profile.experience]:
            module = by_key.get(key)
            lesson = _first_open_lesson(session, module, completed) if module else None
            if module and lesson:
                return Recommendation(
                    lesson.id, lesson.title, module.number, "cocok untuk tahap Kakak"
                )
    for module in modules:
        lesson = _first_open_lesson(session, module, completed)
        if lesson is not None:
            return Recommendation(lesson.id, lesson.title, module.number, "pelajaran berikutnya")
    return None
