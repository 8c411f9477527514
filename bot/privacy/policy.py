"""The privacy text sellers read, from `content/privasi.md` (editable without a programmer).

The file has YAML front matter with `versi`, then two sections: `## Ringkas`, the short notice
shown with the welcome on a seller's first /start, and `## Lengkap`, the full text /privasi
sends. `{masa_simpan}` is replaced by the retention period (TRANSCRIPT_RETENTION_DAYS), so the
text never disagrees with the setting. Text is sent as it is written (no Markdown rendering).

Loaded once when the bot starts; every problem is reported as `file:line: message` in
Indonesian (`akar privacy check` runs the same check), and the bot does not start with an
invalid text: a seller must never get an empty or half privacy notice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from bot.rendering import TELEGRAM_TEXT_LIMIT, split_text

PRIVACY_FILE: Final = Path(__file__).resolve().parents[2] / "content" / "privasi.md"
PLACEHOLDER: Final = "{masa_simpan}"
NOTICE: Final = "ringkas"
FULL: Final = "lengkap"
# Commands a seller must always be told about, per section.
REQUIRED_MENTIONS: Final = {NOTICE: ("/privasi", "/hapusdata"), FULL: ("/hapusdata",)}
_HEADING: Final = re.compile(r"^##\s+(.+?)\s*$")


class PrivacyTextError(ValueError):
    """The privacy file is missing or invalid; `problems` lists each as `file:line: message`."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems

    def format_message(self) -> str:
        lines = [f"Teks privasi belum valid ({len(self.problems)} masalah):"]
        return "\n".join(lines + [f"  {p}" for p in self.problems])


@dataclass(frozen=True)
class PrivacyText:
    version: str
    notice: str  # the short notice, one Telegram message
    full: str  # the whole text, split into messages by `full_parts`

    def full_parts(self) -> list[str]:
        return split_text(self.full)


def retention_phrase(days: int) -> str:
    """'365 hari (sekitar 1 tahun)', '90 hari (sekitar 3 bulan)', '10 hari'."""
    years, months = round(days / 365), round(days / 30)
    if years >= 1 and abs(days - 365 * years) <= 5:
        return f"{days} hari (sekitar {years} tahun)"
    if months >= 1 and abs(days - 30 * months) <= 2:
        return f"{days} hari (sekitar {months} bulan)"
    return f"{days} hari"


def _front_matter(lines: list[str], where: str, problems: list[str]) -> tuple[str | None, int]:
    """The version and the index of the first body line."""
    if not lines or lines[0].strip() != "---":
        problems.append(f"{where}:1: harus diawali '---' (bagian pengaturan, berisi versi)")
        return None, 0
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        problems.append(f"{where}:1: bagian pengaturan tidak ditutup dengan '---'")
        return None, len(lines)
    try:
        data: Any = YAML(typ="safe", pure=True).load("\n".join(lines[1:end])) or {}
    except YAMLError as exc:
        problems.append(f"{where}:2: pengaturan tidak bisa dibaca: {exc}")
        return None, end + 1
    version = data.get("versi") if isinstance(data, dict) else None
    line = next((i + 1 for i in range(1, end) if lines[i].startswith("versi")), 2)
    if version is None or not str(version).strip():
        problems.append(f"{where}:{line}: 'versi' belum diisi (misalnya versi: \"2026-11-29\")")
        return None, end + 1
    if len(str(version)) > 32:
        problems.append(f"{where}:{line}: 'versi' paling panjang 32 karakter")
        return None, end + 1
    return str(version).strip(), end + 1


def _sections(
    lines: list[str], first: int, where: str, problems: list[str]
) -> dict[str, tuple[int, str]]:
    """Section name -> (line number of its heading, text)."""
    found: dict[str, tuple[int, list[str]]] = {}
    current: str | None = None
    for index in range(first, len(lines)):
        heading = _HEADING.match(lines[index])
        if heading is not None:
            name = heading.group(1).lower()
            if name not in (NOTICE, FULL):
                problems.append(
                    f"{where}:{index + 1}: judul '## {heading.group(1)}' tidak dikenal "
                    "(yang dipakai: '## Ringkas' dan '## Lengkap')"
                )
                current = None
            elif name in found:
                problems.append(f"{where}:{index + 1}: '## {heading.group(1)}' muncul dua kali")
                current = None
            else:
                current = name
                found[name] = (index + 1, [])
            continue
        if current is not None:
            found[current][1].append(lines[index])
        elif lines[index].strip():
            problems.append(f"{where}:{index + 1}: teks di luar bagian '## Ringkas'/'## Lengkap'")
    return {name: (line, "\n".join(body).strip()) for name, (line, body) in found.items()}


def load_privacy_text(path: Path = PRIVACY_FILE, *, retention_days: int) -> PrivacyText:
    """The privacy text with the retention period filled in; PrivacyTextError if invalid."""
    where = str(path)
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PrivacyTextError([f"{where}:1: tidak bisa dibaca ({exc.strerror})"]) from exc
    lines = source.splitlines()
    problems: list[str] = []
    version, first = _front_matter(lines, where, problems)
    sections = _sections(lines, first, where, problems)
    texts: dict[str, str] = {}
    for name, title in ((NOTICE, "Ringkas"), (FULL, "Lengkap")):
        if name not in sections:
            problems.append(f"{where}:{len(lines) or 1}: bagian '## {title}' tidak ada")
            continue
        line, body = sections[name]
        if not body:
            problems.append(f"{where}:{line}: bagian '## {title}' masih kosong")
            continue
        if PLACEHOLDER not in body:
            problems.append(
                f"{where}:{line}: bagian '## {title}' harus menyebut masa simpan: tulis "
                f"{PLACEHOLDER} (diganti otomatis, misalnya '365 hari')"
            )
        for command in REQUIRED_MENTIONS[name]:
            if command not in body:
                problems.append(f"{where}:{line}: bagian '## {title}' harus menyebut {command}")
        texts[name] = body.replace(PLACEHOLDER, retention_phrase(retention_days))
    notice = texts.get(NOTICE, "")
    if len(notice) > TELEGRAM_TEXT_LIMIT:
        problems.append(
            f"{where}:{sections[NOTICE][0]}: bagian '## Ringkas' terlalu panjang untuk satu pesan "
            f"({len(notice)} karakter, paling banyak {TELEGRAM_TEXT_LIMIT})"
        )
    if problems or version is None:
        raise PrivacyTextError(problems)
    return PrivacyText(version=version, notice=notice, full=texts[FULL])
