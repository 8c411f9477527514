"""`akar content check` on the assistant's answers: a stated fact needs a source (issue #14)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bot.cli import DEFAULT_CONTENT_DIR, DEFAULT_DOMAIN_DIR, main
from bot.content.answers import check_answers, states_a_fact

SOURCED = """\
    metadata:
      judul: Paket COD ditolak pembeli
      sumber:
        - penerbit: Lazada (dikutip blog BigSeller)
          judul: Pengumuman ongkir retur
          url: https://www.bigseller.com/blog/articleDetails/3822
          tanggal: "2025-09-24"
          dicek: "2026-11"
"""


def domain(tmp_path: Path, body: str) -> Path:
    folder = tmp_path / "domain"
    folder.mkdir()
    (folder / "cod.yml").write_text(
        'version: "3.1"\nresponses:\n' + textwrap.indent(textwrap.dedent(body), "  "),
        encoding="utf-8",
    )
    return folder


def problems_of(folder: Path) -> list[str]:
    return [str(p) for p in check_answers(folder)[1]]


@pytest.mark.parametrize(
    ("text", "fact"),
    [
        ("Ongkir retur ditanggung penjual sejak 30 September 2025.", True),
        ("Potongannya 4% per pesanan.", True),
        ("Menurut PP No. 80 Tahun 2019, penjual wajib jujur.", True),
        ("Aturannya ada di Permendag tentang PMSE.", True),
        ("Diumumkan bulan Oktober.", True),
        ("Konfirmasi pesanan lewat chat sebelum dikirim, Kak.", False),
    ],
)
def test_what_counts_as_a_stated_fact(text: str, fact: bool) -> None:
    assert states_a_fact(text) is fact


def test_a_fact_without_a_source_is_reported_with_file_and_line(tmp_path: Path) -> None:
    folder = domain(
        tmp_path,
        """\
        utter_tanya_cod/paket_ditolak:
          - text: Ongkir retur ditanggung platform sejak 30 September 2025.
            metadata:
              judul: Paket COD ditolak pembeli
        """,
    )
    found = problems_of(folder)
    assert (
        f"{folder / 'cod.yml'}:4: utter_tanya_cod/paket_ditolak: jawaban belum punya sumber"
        in found
    )
    assert any("menyebut angka, tanggal atau aturan tanpa sumber" in p for p in found)


def test_a_platform_variant_inherits_the_default_sources(tmp_path: Path) -> None:
    folder = domain(
        tmp_path,
        "utter_tanya_cod/paket_ditolak:\n"
        "  - text: Di Lazada, sejak 30 September 2025 penjual hanya menanggung retur salahnya.\n"
        + SOURCED
        + "  - condition:\n"
        "      - type: slot\n"
        "        name: platform\n"
        "        value: Lazada\n"
        "    text: Sejak 30 September 2025 ongkir gagal kirim tidak dibebankan ke penjual.\n",
    )
    assert check_answers(folder) == (1, [])


@pytest.mark.parametrize(
    ("field", "bad", "message"),
    [
        ('dicek: "2026-11"', "dicek: kemarin", "'dicek' harus tanggal"),
        ('tanggal: "2025-09-24"', "tanggal: 24/9/2025", "'tanggal' harus"),
        ('tanggal: "2025-09-24"', "tanggal: 2025-09-24", "tulis 'tanggal' dalam tanda kutip"),
        (
            "url: https://www.bigseller.com/blog/articleDetails/3822",
            "url: www.bigseller.com",
            "'url' harus diawali https://",
        ),
        ("penerbit: Lazada (dikutip blog BigSeller)", "penerbit: ''", "sumber tanpa 'penerbit'"),
    ],
)
def test_malformed_sources_are_reported(tmp_path: Path, field: str, bad: str, message: str) -> None:
    folder = domain(
        tmp_path,
        "utter_tanya_cod/paket_ditolak:\n  - text: Ongkir retur sejak 30 September 2025.\n"
        + SOURCED.replace(field, bad),
    )
    assert any(message in p for p in problems_of(folder)), problems_of(folder)


def test_content_check_fails_on_an_unsourced_answer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = domain(tmp_path, "utter_tanya_cod/biaya:\n  - text: Biaya COD 4%.\n")
    code = main(["content", "check", "--path", str(DEFAULT_CONTENT_DIR), "--domain", str(folder)])
    assert code == 1
    assert "utter_tanya_cod/biaya: menyebut angka" in capsys.readouterr().err


def test_every_answer_in_the_repo_is_sourced() -> None:
    count, problems = check_answers(DEFAULT_DOMAIN_DIR)
    assert count >= 150
    assert problems == [], "\n".join(str(p) for p in problems[:20])
