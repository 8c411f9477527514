"""Module completion certificates: issued once per seller and module, rendered as a PDF.

The verification code is random (not derived from the name), stored with the certificate and
printed on it; `akar certificate verify CODE` looks it up, so a certificate shown to a buyer or
a partner can be checked without trusting the PDF itself.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

from fpdf import FPDF
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.models import Certificate, ContentModule, Seller

# Unambiguous characters only (no 0/O, 1/I/L), so a code read aloud or typed is still right.
_ALPHABET: Final = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_FONT_DIRS: Final = (Path("/usr/share/fonts/truetype/dejavu"),)
_MONTHS: Final = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)  # fmt: skip


def new_code() -> str:
    body = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"AKAR-{body[:4]}-{body[4:]}"


def normalise_code(code: str) -> str:
    return "".join(code.split()).upper()


def indonesian_date(moment: datetime) -> str:
    return f"{moment.day} {_MONTHS[moment.month - 1]} {moment.year}"


def display_name(seller: Seller) -> str:
    name = " ".join(part for part in (seller.first_name, seller.last_name) if part)
    return " ".join(name.split())[:80] or "Peserta AKAR"


def issue(session: Session, seller_id: int, module_id: int) -> Certificate:
    """The seller's certificate for the module, created on first call (idempotent)."""
    existing = session.scalars(
        select(Certificate).where(
            Certificate.seller_id == seller_id, Certificate.module_id == module_id
        )
    ).first()
    if existing is not None:
        return existing
    seller = session.get(Seller, seller_id)
    module = session.get(ContentModule, module_id)
    if seller is None or module is None:
        raise LookupError("unknown seller or module")
    while True:
        code = new_code()
        if session.scalars(select(Certificate.id).where(Certificate.code == code)).first() is None:
            break
    certificate = Certificate(
        code=code,
        seller_id=seller_id,
        module_id=module_id,
        seller_name=display_name(seller),
        module_title=f"Modul {module.number}: {module.title}",
    )
    session.add(certificate)
    session.flush()
    return certificate


def find(session: Session, code: str) -> Certificate | None:
    return session.scalars(
        select(Certificate).where(Certificate.code == normalise_code(code))
    ).first()


@dataclass(frozen=True)
class CertificateFile:
    filename: str
    content: bytes


def _font(pdf: FPDF) -> str:
    """DejaVu (any script in a seller's name) when installed, else a core font."""
    for folder in _FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            pdf.add_font("DejaVu", "", str(regular))
            pdf.add_font("DejaVu", "B", str(bold))
            return "DejaVu"
    return "Helvetica"


def _safe(text: str, font: str) -> str:
    if font == "DejaVu":
        return text
    return text.encode("latin-1", "replace").decode("latin-1")


def render_pdf(certificate: Certificate) -> CertificateFile:
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_title(f"Sertifikat {certificate.module_title}")
    pdf.set_author("Gerakan Akselerasi Karya Rakyat (AKAR) Indonesia")
    pdf.add_page()
    font = _font(pdf)
    pdf.set_draw_color(15, 23, 110)
    pdf.set_line_width(1.5)
    pdf.rect(10, 10, 277, 190)
    pdf.set_line_width(0.4)
    pdf.rect(14, 14, 269, 182)

    def line(text: str, size: int, style: str = "", gap: float = 4) -> None:
        pdf.set_font(font, style, size)
        pdf.multi_cell(0, size * 0.5, _safe(text, font), align="C")
        pdf.ln(gap)

    pdf.set_y(32)
    pdf.set_text_color(15, 23, 110)
    line("SERTIFIKAT", 34, "B", 2)
    pdf.set_text_color(60, 60, 60)
    line("Gerakan Akselerasi Karya Rakyat (AKAR) Indonesia", 14, "", 12)
    line("Diberikan kepada", 14)
    pdf.set_text_color(0, 0, 0)
    line(certificate.seller_name, 28, "B", 8)
    pdf.set_text_color(60, 60, 60)
    line("yang telah menyelesaikan seluruh pelajaran dan kuis", 14)
    pdf.set_text_color(15, 23, 110)
    line(certificate.module_title, 20, "B", 14)
    pdf.set_text_color(60, 60, 60)
    line(f"Diterbitkan {indonesian_date(certificate.issued_at)}", 12, "", 2)
    line(f"Kode verifikasi: {certificate.code}", 12, "B", 2)
    line("Keaslian sertifikat ini dapat diperiksa tim AKAR dengan kode verifikasi di atas.", 10)
    filename = f"sertifikat-{certificate.code.lower()}.pdf"
    return CertificateFile(filename=filename, content=bytes(pdf.output()))
