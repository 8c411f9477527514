"""Learning screens as front-end-neutral messages (the terminal chat shows the same ones).

Plain text only (no parse mode), one button per row where titles are long, so nothing is cut
off on a phone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from bot.db.models import Certificate
from bot.learning import callbacks
from bot.learning.certificate import CertificateFile
from bot.learning.service import (
    AnswerResult,
    LessonSummary,
    ModuleSummary,
    PartView,
    QuestionView,
    Recommendation,
)
from bot.rendering import Button, Document, OutgoingMessage

PAGE_SIZE: Final = 6
BAR_WIDTH: Final = 10
MAX_BUTTON_TITLE: Final = 48

NO_CONTENT = (
    "Modul belajar belum tersedia, Kak. Tim AKAR sedang menyiapkannya. "
    "Sementara itu, tanyakan saja langsung soal jualan online di sini."
)
NOT_AVAILABLE = (
    "Maaf, Kak, materi ini sudah tidak tersedia atau sudah diperbarui. "
    "Silakan pilih lagi dari daftar modul, ya."
)
NOTHING_TO_RESUME = "Belum ada pelajaran yang sedang Kakak buka. Yuk pilih modul dulu 😊"


def _short(title: str, limit: int = MAX_BUTTON_TITLE) -> str:
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


def _row(*buttons: Button) -> tuple[Button, ...]:
    return tuple(buttons)


def progress_bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    filled = round(width * done / total) if total else 0
    return "▓" * filled + "░" * (width - filled)


def _suggestion_button(suggestion: Recommendation) -> Button:
    label = "▶️ Lanjutkan" if suggestion.reason.startswith("lanjutkan") else "💡 Saran"
    return Button(
        _short(f"{label}: {suggestion.title}", 60), callbacks.part(suggestion.lesson_id, 0)
    )


def _suggestion_line(suggestion: Recommendation | None) -> str:
    if suggestion is None:
        return ""
    return (
        f"\n\n💡 Saran belajar: Modul {suggestion.module_number} · {suggestion.title} "
        f"({suggestion.reason})."
    )


def catalogue(
    modules: Sequence[ModuleSummary], page: int, *, suggestion: Recommendation | None
) -> list[OutgoingMessage]:
    if not modules:
        return [OutgoingMessage(text=NO_CONTENT)]
    pages = max(1, -(-len(modules) // PAGE_SIZE))
    page = max(0, min(page, pages - 1))
    shown = modules[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    rows: list[tuple[Button, ...]] = []
    if suggestion is not None:
        rows.append(_row(_suggestion_button(suggestion)))
    for m in shown:
        mark = "✅ " if m.complete else ""
        title = _short(f"{mark}{m.number}. {m.title} ({m.done}/{m.total})", 60)
        rows.append(_row(Button(title, callbacks.module(m.key))))
    navigation = []
    if page > 0:
        navigation.append(Button("⬅️ Sebelumnya", callbacks.catalogue(page - 1)))
    if page < pages - 1:
        navigation.append(Button("Berikutnya ➡️", callbacks.catalogue(page + 1)))
    if navigation:
        rows.append(tuple(navigation))
    rows.append(_row(Button("📊 Progres saya", callbacks.PROGRESS)))
    text = (
        f"📚 Modul belajar AKAR (halaman {page + 1}/{pages})\n"
        "Pilih modul yang ingin Kakak pelajari. Angka dalam kurung: pelajaran selesai/semua."
    ) + _suggestion_line(suggestion)
    return [OutgoingMessage(text=text, buttons=tuple(rows))]


def module_page(module: ModuleSummary, lessons: Sequence[LessonSummary]) -> list[OutgoingMessage]:
    lines = [f"📚 Modul {module.number}: {module.title}", "", module.summary, "", "Pelajaran:"]
    rows: list[tuple[Button, ...]] = []
    for lesson in lessons:
        mark = "✅" if lesson.done else "▫️"
        lines.append(f"{mark} {lesson.position + 1}. {lesson.title} (±{lesson.minutes} menit)")
        title = _short(f"{mark} {lesson.position + 1}. {lesson.title}")
        rows.append(_row(Button(title, callbacks.part(lesson.id, 0))))
    if module.complete:
        lines += ["", "🎓 Modul ini sudah Kakak selesaikan. Mantap!"]
        rows.append(_row(Button("🎓 Unduh sertifikat", callbacks.certificate(module.key))))
    rows.append(_row(Button("⬅️ Semua modul", callbacks.catalogue(0))))
    return [OutgoingMessage(text="\n".join(lines), buttons=tuple(rows))]


def lesson_part(view: PartView) -> list[OutgoingMessage]:
    header = (
        f"Modul {view.module.number} · Pelajaran {view.lesson_position + 1}: {view.lesson_title}\n"
        f"Bagian {view.index + 1}/{view.count}"
    )
    body = f"📖 {view.heading}\n\n{view.text}" if view.heading else view.text
    last = view.index == view.count - 1
    text = f"{header}\n\n{body}"
    if last and view.sources:
        text += "\n\nSumber:\n" + "\n".join(f"• {source}" for source in view.sources)
    navigation = []
    if view.index > 0:
        navigation.append(Button("⬅️ Kembali", callbacks.part(view.lesson_id, view.index - 1)))
    if not last:
        navigation.append(Button("Lanjut ➡️", callbacks.part(view.lesson_id, view.index + 1)))
    elif view.has_quiz:
        navigation.append(Button("📝 Mulai kuis", callbacks.quiz(view.lesson_id, 0)))
    rows = [tuple(navigation)] if navigation else []
    rows.append(_row(Button(f"📚 Modul {view.module.number}", callbacks.module(view.module.key))))
    return [OutgoingMessage(text=text, buttons=tuple(rows))]


def question(view: QuestionView) -> list[OutgoingMessage]:
    lines = [
        f"📝 Kuis: {view.lesson_title}",
        f"Soal {view.index + 1}/{view.count}",
        "",
        view.question,
    ]
    lines += [""] + [f"{key}. {text}" for key, text in view.options]
    rows = [
        _row(Button(_short(f"{key}. {text}", 64), callbacks.answer(view.question_id, key)))
        for key, text in view.options
    ]
    return [OutgoingMessage(text="\n".join(lines), buttons=tuple(rows))]


def feedback(result: AnswerResult) -> list[OutgoingMessage]:
    options = dict(result.question.options)
    if result.correct:
        verdict = "✅ Benar, Kak!"
    else:
        verdict = f"❌ Belum tepat. Jawaban yang benar: {result.answer}. {options[result.answer]}"
    text = f"{verdict}\n\n{result.explanation}"
    lesson_id = result.question.lesson_id
    if result.next_index is not None:
        button = Button("Soal berikutnya ➡️", callbacks.quiz(lesson_id, result.next_index))
        return [OutgoingMessage(text=text, buttons=(_row(button),))]
    messages = [OutgoingMessage(text=text)]
    module = result.module
    summary = [
        f"Skor kuis Kakak: {result.score}/{result.question.count} "
        + ("🎉" if result.score == result.question.count else "👍"),
        "Pelajaran ini selesai ✅",
    ]
    if module is not None:
        summary.append(f"Modul {module.number}: {module.done}/{module.total} pelajaran selesai.")
        if result.module_just_completed:
            summary += [
                "",
                f'🎓 Selamat, Kak! Modul {module.number} "{module.title}" sudah selesai. '
                "Terus semangat belajar dan praktikkan di toko Kakak!",
            ]
    rows: list[tuple[Button, ...]] = []
    if result.next_lesson_id is not None:
        rows.append(
            _row(Button("Pelajaran berikutnya ➡️", callbacks.part(result.next_lesson_id, 0)))
        )
    rows.append(_row(Button("🔁 Ulangi kuis", callbacks.quiz(lesson_id, 0))))
    if module is not None:
        rows.append(_row(Button(f"📚 Modul {module.number}", callbacks.module(module.key))))
    rows.append(_row(Button("📊 Progres saya", callbacks.PROGRESS)))
    messages.append(OutgoingMessage(text="\n".join(summary), buttons=tuple(rows)))
    return messages


def progress(
    modules: Sequence[ModuleSummary], *, suggestion: Recommendation | None
) -> list[OutgoingMessage]:
    if not modules:
        return [OutgoingMessage(text=NO_CONTENT)]
    done = sum(m.done for m in modules)
    total = sum(m.total for m in modules)
    lines = ["📊 Progres belajar Kakak", ""]
    for m in modules:
        mark = " ✅" if m.complete else ""
        lines.append(f"{m.number}. {m.title}{mark}")
        lines.append(f"{progress_bar(m.done, m.total)} {m.done}/{m.total}")
    percent = round(100 * done / total) if total else 0
    lines += ["", f"Total: {done}/{total} pelajaran ({percent}%)"]
    rows: list[tuple[Button, ...]] = []
    if suggestion is not None:
        rows.append(_row(_suggestion_button(suggestion)))
    rows.append(_row(Button("📚 Semua modul", callbacks.catalogue(0))))
    return [OutgoingMessage(text="\n".join(lines), buttons=tuple(rows))]


def certificate_message(issued: Certificate, file: CertificateFile) -> list[OutgoingMessage]:
    text = (
        f"🎓 Sertifikat untuk Kak {issued.seller_name}: {issued.module_title}.\n"
        f"Kode verifikasi: {issued.code}"
    )
    buttons = (
        _row(Button("📊 Progres saya", callbacks.PROGRESS)),
        _row(Button("📚 Semua modul", callbacks.catalogue(0))),
    )
    return [
        OutgoingMessage(text=text, buttons=buttons, document=Document(file.filename, file.content))
    ]


def certificate_not_ready(key: str) -> list[OutgoingMessage]:
    return [
        OutgoingMessage(
            text=(
                "Sertifikat diberikan setelah semua pelajaran dan kuis di modul ini selesai, Kak. "
                "Yuk lanjutkan dulu!"
            ),
            buttons=(_row(Button("📚 Buka modul", callbacks.module(key))),),
        )
    ]


def not_available() -> list[OutgoingMessage]:
    return [
        OutgoingMessage(
            text=NOT_AVAILABLE, buttons=(_row(Button("📚 Semua modul", callbacks.catalogue(0))),)
        )
    ]


def nothing_to_resume() -> list[OutgoingMessage]:
    return [
        OutgoingMessage(
            text=NOTHING_TO_RESUME,
            buttons=(_row(Button("📚 Semua modul", callbacks.catalogue(0))),),
        )
    ]
