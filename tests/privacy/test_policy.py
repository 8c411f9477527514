"""The privacy text file: the shipped one is valid and fits Telegram, and an editor's mistake is
reported with its line instead of reaching sellers."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.privacy.policy import (
    PRIVACY_FILE,
    PrivacyTextError,
    load_privacy_text,
    retention_phrase,
)
from bot.rendering import TELEGRAM_TEXT_LIMIT

GOOD = """---
# a comment for editors
versi: "2026-12-01"
---

## Ringkas

Kami simpan pesan Kakak {masa_simpan}. Lihat /privasi, hapus dengan /hapusdata.

## Lengkap

Teks lengkap. Disimpan {masa_simpan}. Hapus: /hapusdata.
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "privasi.md"
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(PrivacyTextError) as caught:
        load_privacy_text(path, retention_days=365)
    return caught.value.problems


def test_the_shipped_text_is_valid_and_says_what_the_issue_asks() -> None:
    text = load_privacy_text(PRIVACY_FILE, retention_days=365)
    assert text.version
    assert len(text.notice) <= TELEGRAM_TEXT_LIMIT
    assert all(len(part) <= TELEGRAM_TEXT_LIMIT for part in text.full_parts())
    for expected in ("pesan", "profil", "progres belajar", "tim dukungan AKAR", "365 hari"):
        assert expected in text.notice
    assert "{masa_simpan}" not in text.notice + text.full
    assert "Undang-Undang Nomor 27 Tahun 2022 tentang Pelindungan Data Pribadi" in text.full
    assert "kode sertifikat" in text.full.lower()


def test_the_retention_period_comes_from_the_setting(tmp_path: Path) -> None:
    text = load_privacy_text(write(tmp_path, GOOD), retention_days=90)
    assert text.version == "2026-12-01"
    assert text.notice == (
        "Kami simpan pesan Kakak 90 hari (sekitar 3 bulan). "
        "Lihat /privasi, hapus dengan /hapusdata."
    )
    assert text.full.startswith("Teks lengkap. Disimpan 90 hari (sekitar 3 bulan).")


@pytest.mark.parametrize(
    ("days", "phrase"),
    [
        (365, "365 hari (sekitar 1 tahun)"),
        (730, "730 hari (sekitar 2 tahun)"),
        (180, "180 hari (sekitar 6 bulan)"),
        (30, "30 hari (sekitar 1 bulan)"),
        (45, "45 hari"),
        (7, "7 hari"),
    ],
)
def test_retention_phrase(days: int, phrase: str) -> None:
    assert retention_phrase(days) == phrase


def test_a_missing_file_is_reported(tmp_path: Path) -> None:
    [problem] = problems(tmp_path / "tidak-ada.md")
    assert problem.startswith(f"{tmp_path / 'tidak-ada.md'}:1: tidak bisa dibaca")


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda t: t.replace('versi: "2026-12-01"', "versi:"), ":3: 'versi' belum diisi"),
        (lambda t: t.replace("## Lengkap", "## Lengkapnya"), ":10: judul '## Lengkapnya'"),
        (lambda t: t.replace("## Lengkap", "## Ringkas"), ":10: '## Ringkas' muncul dua kali"),
        (lambda t: t.replace("hapus dengan /hapusdata", "hapus"), "harus menyebut /hapusdata"),
        (lambda t: t.replace("Lihat /privasi, ", ""), "'## Ringkas' harus menyebut /privasi"),
        (lambda t: t.replace("Kakak {masa_simpan}", "Kakak"), "harus menyebut masa simpan"),
        (lambda t: t.split("## Lengkap")[0], "bagian '## Lengkap' tidak ada"),
        (lambda t: t.replace("---\n\n##", "---\nhalo\n##"), ":5: teks di luar bagian"),
        (lambda t: t.replace("---\n# a", "# a", 1), ":1: harus diawali '---'"),
    ],
)
def test_editing_mistakes_are_reported_with_their_line(
    tmp_path: Path, edit: object, expected: str
) -> None:
    assert callable(edit)
    found = problems(write(tmp_path, edit(GOOD)))
    assert any(expected in problem for problem in found), found


def test_a_notice_too_long_for_one_message_is_refused(tmp_path: Path) -> None:
    long = GOOD.replace("Kami simpan", "Kami simpan " + "sangat " * 700)
    assert any("terlalu panjang untuk satu pesan" in p for p in problems(write(tmp_path, long)))


def test_akar_privacy_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["privacy", "check"]) == 0
    assert capsys.readouterr().out.startswith("Teks privasi valid (versi ")
    broken = write(tmp_path, GOOD.replace("## Lengkap", "## Lain"))
    assert main(["privacy", "check", "--path", str(broken)]) == 1
    error = capsys.readouterr().err
    assert error.startswith("Teks privasi belum valid (")
    assert f"{broken}:10: judul '## Lain' tidak dikenal" in error
