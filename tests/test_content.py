"""Training content: validation that names file and line, and an idempotent database sync."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cli import DEFAULT_CONTENT_DIR, main
from bot.content.loader import ContentError, load_catalogue
from bot.content.model import MAX_PART_CHARS
from bot.content.sync import sync_catalogue
from bot.db.models import ContentLesson, ContentModule, ContentQuestion
from bot.db.session import make_engine, make_session_factory, session_scope

MODULE_YML = """\
id: cod
number: 2
title: COD tanpa rugi
topic: tanya_cod
summary: Cara menerima pesanan COD tanpa rugi.
lessons:
  - 01-apa.md
  - 02-aktif.md
  - 03-retur.md
"""


def lesson(key: str, title: str = "Judul pelajaran", body: str = "Isi pelajaran, Kak.") -> str:
    return textwrap.dedent(
        f"""\
        ---
        id: {key}
        title: {title}
        minutes: 4
        sources:
          - Lazada University
        quiz:
          - question: Siapa yang menagih pembeli COD?
            options:
              a: Kurir
              b: Penjual
            answer: a
            explanation: Kurir menagih, uangnya masuk lewat marketplace.
          - question: Kapan dana COD masuk?
            options:
              a: Setelah pesanan selesai
              b: Saat checkout
            answer: a
            explanation: Dana masuk setelah pesanan selesai.
        ---

        ## Bagian pertama

        {body}

        ## Bagian kedua

        Lanjutan pelajaran.
        """
    )


def write_module(root: Path, folder: str = "02-cod", module_yml: str = MODULE_YML) -> Path:
    path = root / folder
    path.mkdir(parents=True, exist_ok=True)
    (path / "module.yml").write_text(module_yml, encoding="utf-8")
    for name, key in (("01-apa.md", "apa"), ("02-aktif.md", "aktif"), ("03-retur.md", "retur")):
        (path / name).write_text(lesson(key), encoding="utf-8")
    return path


def problems(root: Path) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_catalogue(root)
    return [str(p) for p in caught.value.problems]


# --- loading and validation ----------------------------------------------------------------------


def test_a_valid_module_loads_with_parts_and_quiz(tmp_path: Path) -> None:
    write_module(tmp_path)
    catalogue = load_catalogue(tmp_path)
    [module] = catalogue.modules
    assert (module.key, module.number, module.topic) == ("cod", 2, "tanya_cod")
    first = module.lessons[0]
    assert [p.heading for p in first.parts] == ["Bagian pertama", "Bagian kedua"]
    assert first.parts[0].render().startswith("📖 Bagian pertama\n\n")
    assert first.quiz[0].options == (("a", "Kurir"), ("b", "Penjual"))


def test_a_wrong_answer_key_is_reported_with_file_and_line(tmp_path: Path) -> None:
    folder = write_module(tmp_path)
    text = lesson("aktif").replace(
        "    answer: a\n    explanation: Dana", "    answer: c\n    explanation: Dana"
    )
    (folder / "02-aktif.md").write_text(text, encoding="utf-8")
    [problem] = problems(tmp_path)
    line = text.splitlines().index("    answer: c") + 1
    assert problem == f"{folder / '02-aktif.md'}:{line}: 'answer' (c) bukan salah satu pilihan"


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    folder = write_module(tmp_path)
    (folder / "01-apa.md").write_text(lesson("Apa Itu!", title="x" * 81), encoding="utf-8")
    (folder / "03-retur.md").write_text(lesson("retur", body="a" * (MAX_PART_CHARS + 1)))
    (folder / "04-lupa.md").write_text(lesson("lupa"), encoding="utf-8")
    found = problems(tmp_path)
    assert any("01-apa.md:2: 'id' hanya huruf kecil" in p for p in found)
    assert any("01-apa.md:3: 'title' terlalu panjang (81 > 80" in p for p in found)
    assert any("03-retur.md:22: bagian terlalu panjang" in p for p in found)
    assert any("04-lupa.md:1: pelajaran ini tidak tercantum" in p for p in found)


@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        (MODULE_YML.replace("number: 2", "number: dua"), "module.yml:2: 'number' harus angka"),
        (
            MODULE_YML.replace("  - 03-retur.md\n", "  - 03-hilang.md\n"),
            "module.yml:9: file pelajaran",
        ),
        (MODULE_YML.replace("topic: tanya_cod", "topic: cod"), "module.yml:4: 'topic' harus"),
        (MODULE_YML.replace("title: COD", "title: [COD"), "module.yml:4: YAML tidak valid"),
    ],
)
def test_module_file_mistakes(tmp_path: Path, broken: str, expected: str) -> None:
    write_module(tmp_path, module_yml=broken)
    assert any(expected in p for p in problems(tmp_path)), problems(tmp_path)


def test_markup_and_missing_front_matter_are_refused(tmp_path: Path) -> None:
    folder = write_module(tmp_path)
    (folder / "01-apa.md").write_text(lesson("apa", body="Ini **penting** Kak."))
    (folder / "02-aktif.md").write_text("## Tanpa front matter\n\nIsi.\n")
    found = problems(tmp_path)
    assert any("01-apa.md:22: markup '**'" in p for p in found)
    assert any("02-aktif.md:1: pelajaran harus diawali blok '---'" in p for p in found)


def test_duplicate_module_ids_are_refused(tmp_path: Path) -> None:
    write_module(tmp_path, "02-cod")
    write_module(tmp_path, "03-cod-lagi", MODULE_YML.replace("number: 2", "number: 3"))
    assert any("id 'cod' sudah dipakai" in p for p in problems(tmp_path))


def test_the_repository_content_is_valid() -> None:
    catalogue = load_catalogue(DEFAULT_CONTENT_DIR)
    assert len(catalogue.modules) >= 10
    numbers = [m.number for m in catalogue.modules]
    assert numbers == sorted(set(numbers))
    for module in catalogue.modules:
        assert 3 <= len(module.lessons) <= 5, module.key


# --- sync ---------------------------------------------------------------------------------------


@pytest.fixture
def database(database_url: str) -> str:
    """A fresh migrated database, on SQLite and on PostgreSQL."""
    return database_url


def run_sync(url: str, root: Path) -> str:
    engine = make_engine(url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            return sync_catalogue(session, load_catalogue(root)).summary()
    finally:
        engine.dispose()


def read(url: str) -> list[tuple[str, int, bool, str]]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            rows = session.scalars(select(ContentLesson).order_by(ContentLesson.id))
            return [(r.key, r.id, r.retired_at is not None, r.title) for r in rows]
    finally:
        engine.dispose()


def test_sync_is_idempotent_and_keeps_ids_across_edits(tmp_path: Path, database: str) -> None:
    root = tmp_path / "content"
    folder = write_module(root)
    assert run_sync(database, root).startswith("4 ditambah")  # the module and its 3 lessons
    first = read(database)
    assert run_sync(database, root) == "0 ditambah, 0 diperbarui, 0 dipensiunkan, 3 tidak berubah"

    (folder / "02-aktif.md").write_text(lesson("aktif", title="Judul baru"), encoding="utf-8")
    assert run_sync(database, root).startswith("0 ditambah, 1 diperbarui")
    after_edit = read(database)
    assert [row[1] for row in after_edit] == [row[1] for row in first]  # same ids
    assert after_edit[1][3] == "Judul baru"


def test_a_removed_lesson_is_retired_not_deleted_and_can_return(
    tmp_path: Path, database: str
) -> None:
    root = tmp_path / "content"
    folder = write_module(root)
    run_sync(database, root)
    (folder / "module.yml").write_text(MODULE_YML.replace("  - 03-retur.md\n", "  - 01-apa.md\n"))
    (folder / "module.yml").write_text(
        MODULE_YML.replace("  - 03-retur.md\n", "  - 04-baru.md\n"), encoding="utf-8"
    )
    (folder / "03-retur.md").unlink()
    (folder / "04-baru.md").write_text(lesson("baru"), encoding="utf-8")
    summary = run_sync(database, root)
    assert summary == "1 ditambah, 0 diperbarui, 1 dipensiunkan, 2 tidak berubah"
    rows = {key: retired for key, _, retired, _ in read(database)}
    assert rows == {"apa": False, "aktif": False, "retur": True, "baru": False}

    shutil.rmtree(folder)
    write_module(root)
    run_sync(database, root)
    rows = {key: retired for key, _, retired, _ in read(database)}
    assert rows == {"apa": False, "aktif": False, "retur": False, "baru": True}


def test_quiz_questions_follow_the_file(tmp_path: Path, database: str) -> None:
    root = tmp_path / "content"
    folder = write_module(root)
    run_sync(database, root)
    text = lesson("apa").replace(
        "answer: a\n    explanation: Kurir", "answer: b\n    explanation: Kurir"
    )
    (folder / "01-apa.md").write_text(text, encoding="utf-8")
    run_sync(database, root)
    engine = make_engine(database)
    with Session(engine) as session:
        question = session.scalars(
            select(ContentQuestion).join(ContentLesson).where(ContentLesson.key == "apa")
        ).first()
        assert question is not None and question.answer == "b"
        assert question.options == [["a", "Kurir"], ["b", "Penjual"]]
        module = session.scalars(select(ContentModule)).one()
        assert [lesson.key for lesson in module.lessons] == ["apa", "aktif", "retur"]
    engine.dispose()


def test_cli_check_and_sync(
    tmp_path: Path,
    database: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = tmp_path / "content"
    folder = write_module(root)
    monkeypatch.setenv("DATABASE_URL", database)
    assert main(["content", "sync", "--path", str(root)]) == 0
    assert "Sinkron selesai: 4 ditambah" in capsys.readouterr().out
    (folder / "01-apa.md").write_text("rusak", encoding="utf-8")
    assert main(["content", "check", "--path", str(root)]) == 1
    assert "01-apa.md:1: pelajaran harus diawali" in capsys.readouterr().err


def test_progress_survives_edits_and_retirement(tmp_path: Path, database: str) -> None:
    """A seller's finished lesson stays finished after its text changes; a retired lesson no
    longer counts towards the module, and coming back restores it."""
    from bot.db import repository
    from bot.db.models import LessonProgress, utcnow
    from bot.learning import service

    root = tmp_path / "content"
    folder = write_module(root)
    run_sync(database, root)
    engine = make_engine(database)
    factory = make_session_factory(engine)
    with session_scope(factory) as session:
        seller = repository.upsert_seller(session, telegram_user_id=1, chat_id=1, first_name="Sari")
        session.flush()
        seller_id = seller.id
        first = session.scalars(select(ContentLesson).where(ContentLesson.key == "apa")).one()
        session.add(LessonProgress(seller_id=seller_id, lesson_id=first.id, completed_at=utcnow()))

    def cod_progress() -> tuple[int, int]:
        with session_scope(factory) as session:
            [module] = service.list_modules(session, seller_id)
            return module.done, module.total

    assert cod_progress() == (1, 3)
    (folder / "01-apa.md").write_text(lesson("apa", title="Judul diperbarui"), encoding="utf-8")
    run_sync(database, root)
    assert cod_progress() == (1, 3)  # edited, still finished

    (folder / "module.yml").write_text(MODULE_YML.replace("  - 01-apa.md\n", ""), encoding="utf-8")
    (folder / "01-apa.md").unlink()
    with pytest.raises(ContentError):  # two lessons are below the minimum of three
        load_catalogue(root)
    write_module(root)
    run_sync(database, root)
    assert cod_progress() == (1, 3)
    engine.dispose()
