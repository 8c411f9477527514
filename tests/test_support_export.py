"""`akar nlu export-annotations`: staff's annotations into nlu/dari_tinjauan.yml, merged,
deduplicated against all training data, never copying held-out test messages."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.cli import main
from bot.db.models import NluAnnotation
from bot.db.session import make_engine, make_session_factory
from bot.support import inbox
from bot.support.export import FILE_NAME, export_annotations, export_pending, summary_lines
from tests.support_db import add_incoming, add_seller
from tests.test_nlu_data import examples_of, plain

ROOT = Path(__file__).resolve().parent.parent
HELD_OUT = ROOT / "tests" / "nlu" / "test_nlu.yml"
RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
T0 = datetime(2026, 11, 29, 4, 0, tzinfo=UTC)


@pytest.fixture
def nlu_dir(tmp_path: Path) -> Path:
    """A copy of the real training data, so deduplication meets every real example."""
    target = tmp_path / "nlu"
    shutil.copytree(ROOT / "nlu", target)
    (target / FILE_NAME).unlink(missing_ok=True)
    return target


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


def annotate(sessions: sessionmaker[Session], *pairs: tuple[str, str]) -> None:
    """One seller message per (intent, example), annotated with that example."""
    with sessions.begin() as session:
        seller = add_seller(session, 7_000_000_001, "Siti")
        for intent, example in pairs:
            message = add_incoming(session, seller, "pesan asli", T0, intent="nlu_fallback")
            inbox.add_annotation(session, message.id, intent, example)


def held_out_message(intent: str) -> str:
    """The first held-out message of `intent` (a topic: of any of its sub-questions)."""
    for key, examples in examples_of(HELD_OUT).items():
        if key == intent or key.split("/")[0] == intent:
            return examples[0]
    raise KeyError(intent)


def test_new_examples_are_written_grouped_with_a_header(
    sessions: sessionmaker[Session], nlu_dir: Path
) -> None:
    annotate(
        sessions,
        ("tanya_cod/aktifkan", "gmn nyalain bayar ditempat di toko sy"),
        ("minta_bantuan_manusia", "pengen ngobrol ama mimin asli"),
        ("tanya_cod/aktifkan", "cara ngaktifin cod d toko baru"),
    )
    with sessions.begin() as session:
        result = export_annotations(session, nlu_dir=nlu_dir, held_out=HELD_OUT, now=T0)
    assert len(result.written) == 3 and result.skipped == []
    text = (nlu_dir / FILE_NAME).read_text(encoding="utf-8")
    assert text.startswith("# Examples from support review")
    assert "2026-11-29" in text.splitlines()[2]
    assert examples_of(nlu_dir / FILE_NAME) == {
        "minta_bantuan_manusia": ["pengen ngobrol ama mimin asli"],
        "tanya_cod/aktifkan": [
            "gmn nyalain bayar ditempat di toko sy",
            "cara ngaktifin cod d toko baru",
        ],
    }
    with sessions() as session:
        assert inbox.count_pending_annotations(session) == 0
        stamps = session.scalars(sa.select(NluAnnotation.exported_at)).all()
        assert stamps == [T0, T0, T0]


def test_duplicates_held_out_and_markup_are_skipped(
    sessions: sessionmaker[Session], nlu_dir: Path
) -> None:
    existing = examples_of(nlu_dir / "percakapan.yml")["minta_bantuan_manusia"][0]
    leaked = held_out_message("tanya_ongkir")
    annotate(
        sessions,
        ("minta_bantuan_manusia", "  " + existing.upper().replace(" ", "   ") + " "),
        ("sapa", existing),  # the same words under another intent would teach a clash
        ("tanya_ongkir/cek_tarif", plain(leaked)),
        ("tanya_ongkir/cek_tarif", "ongkir dr [tarakan](kota) ke desa sy kira2 brp ya"),
        ("sapa", "halo kak selamat sore semuanya"),
        ("sapa", "HALO kak  selamat sore semuanya"),  # twice in one batch
    )
    with sessions.begin() as session:
        result = export_annotations(session, nlu_dir=nlu_dir, held_out=HELD_OUT, now=T0)
    assert result.written == [("sapa", "halo kak selamat sore semuanya")]
    assert [(s.reason, s.other_intent) for s in result.skipped] == [
        ("duplicate", None),
        ("conflict", "minta_bantuan_manusia"),  # someone has to decide which intent is right
        ("held_out", None),
        ("markup", None),
        ("duplicate", None),
    ]
    assert [s.reason for s in result.warnings] == ["conflict", "held_out", "markup"]
    assert examples_of(nlu_dir / FILE_NAME) == {"sapa": ["halo kak selamat sore semuanya"]}
    lines = summary_lines(result)
    assert any(
        "dilewati: kalimat yang sama sudah ada di data latih dengan intent lain "
        "(minta_bantuan_manusia)" in line
        for line in lines
    )


def test_a_second_export_merges_with_the_file(
    sessions: sessionmaker[Session], nlu_dir: Path
) -> None:
    annotate(sessions, ("sapa", "halo kak selamat sore semuanya"))
    export_pending(sessions, nlu_dir=nlu_dir, held_out=HELD_OUT)
    annotate(
        sessions,
        ("sapa", "halo kak selamat sore semuanya"),  # already in dari_tinjauan.yml
        ("sapa", "sore kak, izin bertanya"),
        ("tidak", "ga usah deh kak makasih"),
    )
    result = export_pending(sessions, nlu_dir=nlu_dir, held_out=HELD_OUT)
    assert len(result.written) == 2 and [s.reason for s in result.skipped] == ["duplicate"]
    assert examples_of(nlu_dir / FILE_NAME) == {
        "sapa": ["halo kak selamat sore semuanya", "sore kak, izin bertanya"],
        "tidak": ["ga usah deh kak makasih"],
    }
    # Nothing pending: nothing happens, the file is left alone.
    before = (nlu_dir / FILE_NAME).read_text(encoding="utf-8")
    assert export_pending(sessions, nlu_dir=nlu_dir, held_out=HELD_OUT).written == []
    assert (nlu_dir / FILE_NAME).read_text(encoding="utf-8") == before


def test_a_corrected_correction_moves_the_example_and_replaced_ones_are_not_written(
    sessions: sessionmaker[Session], nlu_dir: Path
) -> None:
    annotate(
        sessions,
        ("tanya_ongkir/cek_tarif", "paket sy blm sampe udh seminggu"),
        ("sapa", "sore kak, izin bertanya"),
    )
    export_pending(sessions, nlu_dir=nlu_dir, held_out=HELD_OUT)
    # Staff see the first one was wrong and annotate the same words with the right intent.
    annotate(
        sessions, ("tanya_retur_komplain/paket_hilang_rusak", "Paket sy blm sampe udh seminggu")
    )
    # Two pending annotations of one message (stored before re-annotating replaced them).
    with sessions.begin() as session:
        seller = add_seller(session, 7_000_000_002, "Budi")
        message = add_incoming(session, seller, "pesan asli", T0, intent="nlu_fallback")
        for intent in ("tidak", "terima_kasih"):
            session.add(
                NluAnnotation(
                    message_id=message.id, intent=intent, example="mksh ya kak", created_at=T0
                )
            )
    result = export_pending(sessions, nlu_dir=nlu_dir, held_out=HELD_OUT)
    assert [(m.from_intent, m.intent, m.example) for m in result.moved] == [
        (
            "tanya_ongkir/cek_tarif",
            "tanya_retur_komplain/paket_hilang_rusak",
            "Paket sy blm sampe udh seminggu",
        )
    ]
    assert result.written == [("terima_kasih", "mksh ya kak")]
    assert [s.reason for s in result.skipped] == ["replaced"] and result.warnings == []
    assert examples_of(nlu_dir / FILE_NAME) == {
        "sapa": ["sore kak, izin bertanya"],
        "tanya_retur_komplain/paket_hilang_rusak": ["Paket sy blm sampe udh seminggu"],
        "terima_kasih": ["mksh ya kak"],
    }
    lines = summary_lines(result)
    assert any("dipindah dari tanya_ongkir/cek_tarif ke tanya_retur_komplain" in x for x in lines)
    assert "1 dilewati karena diganti anotasi yang lebih baru." in lines
    assert lines[-1].startswith("Jalankan `make train`")
    # Exported again (say the commit failed after the file was written): nothing moves twice.
    with sessions.begin() as session:
        session.execute(
            sa.update(NluAnnotation).where(NluAnnotation.id > 2).values(exported_at=None)
        )
    again = export_pending(sessions, nlu_dir=nlu_dir, held_out=HELD_OUT)
    assert again.moved == [] and again.written == []


def test_odd_characters_stay_one_valid_yaml_line(
    sessions: sessionmaker[Session], nlu_dir: Path
) -> None:
    annotate(
        sessions,
        ("sapa", "halo\u2028kak # bukan komentar: \"kutip\" 'satu' \x07 😀"),
        ("tidak", "- ga jadi kak |"),
    )
    export_pending(sessions, nlu_dir=nlu_dir, held_out=HELD_OUT)
    assert examples_of(nlu_dir / FILE_NAME) == {
        "sapa": ["halo kak # bukan komentar: \"kutip\" 'satu' 😀"],
        "tidak": ["- ga jadi kak |"],
    }


def test_cli_exports_and_warns(
    sessions: sessionmaker[Session],
    nlu_dir: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    annotate(
        sessions,
        ("sapa", "halo kak selamat sore semuanya"),
        ("minta_bantuan_manusia", held_out_message("minta_bantuan_manusia")),
    )
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["nlu", "export-annotations", "--nlu-dir", str(nlu_dir)]) == 0
    out, err = capsys.readouterr()
    assert "1 contoh baru ditulis ke dari_tinjauan.yml" in out and "make train" in out
    assert "Peringatan" in err and "data uji" in err


@pytest.mark.skipif(not RASA.exists(), reason="the Rasa environment (.venv-rasa) is not set up")
# Rasa's check of the written file does not depend on the database: SQLite only (saves ~11 s).
@pytest.mark.parametrize("migrated_database_url", ["sqlite"], indirect=True)
def test_rasa_accepts_the_exported_file(
    sessions: sessionmaker[Session], nlu_dir: Path, tmp_path: Path
) -> None:
    annotate(
        sessions,
        ("tanya_cod/aktifkan", "gmn nyalain bayar ditempat di toko sy"),
        ("minta_bantuan_manusia", "pengen ngobrol ama mimin asli"),
        ("sapa", 'halo\u2028kak # bukan komentar: "kutip" 😀'),
    )
    assert len(export_pending(sessions, nlu_dir=nlu_dir, held_out=HELD_OUT).written) == 3
    completed = subprocess.run(
        [
            *(str(RASA), "data", "validate", "--data", str(nlu_dir), str(ROOT / "stories")),
            *("--config", str(ROOT / "config.yml"), "--domain", str(ROOT / "domain")),
            "--fail-on-warnings",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
