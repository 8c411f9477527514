"""The audit log: what staff did, above all with sellers' personal data.

`audit()` adds one `audit_log` row in the caller's transaction, so an action and its record are
committed (or rolled back) together. Pages that show personal data call it on every view;
actions that change something call it with what changed. `detail` is small JSON: never put a
password, a session token or a seller's message text in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.db.models import AuditEntry, StaffAccount, utcnow
from bot.desk.inbox_query import FILTER_LABELS, FLAGS, REVIEW_CHOICES
from bot.desk.labels import STATUS_NAMES

# What the audit page shows for each action (unknown actions are shown as stored).
ACTION_NAMES: Final = {
    "login": "masuk",
    "login_failed": "gagal masuk",
    "logout": "keluar",
    "view": "melihat",
    "export": "mengekspor",
    "reply": "membalas",
    "annotate": "menganotasi",
    "delete_annotation": "menghapus anotasi",
    "note": "menulis catatan",
    "review": "menandai ditinjau",
    "unreview": "membatalkan tanda ditinjau",
    "handoff": "mengambil alih",
    "release": "mengembalikan ke bot",
    "privacy_deletion": "penjual menghapus datanya (/hapusdata)",
    "privacy_retention": "menganonimkan pesan lewat masa simpan",
}

TARGET_NAMES: Final = {
    "account": "akun",
    "page": "halaman",
    "seller": "penjual",
    "message": "pesan",
    "broadcast": "siaran",
    "annotation": "anotasi",
}
REASON_NAMES: Final = {
    "unknown_user": "nama pengguna tidak dikenal",
    "wrong_password": "kata sandi salah",
    "locked": "akun sedang dikunci",
    "disabled": "akun nonaktif",
}
DETAIL_NAMES: Final = {
    "reason": "sebab",
    "ip": "IP",
    "halaman": "halaman",
    "saringan": "saringan",
    "format": "format",
    "sampai_pesan": "ditinjau sampai pesan",
    "catatan": "catatan",
    "intent": "intent",
    "anotasi": "anotasi",
    "menggantikan": "menggantikan anotasi",
    "pesan": "pesan",
    "status": "status kirim",
    "ke": "ke",
    "ditulis": "contoh ditulis",
    "dipindah": "contoh dipindah",
    "dilewati": "dilewati",
    # privacy_deletion / privacy_retention: counts only
    "days": "masa simpan (hari)",
    "messages": "pesan",
    "profile": "profil",
    "lesson_progress": "progres pelajaran",
    "quiz_answers": "jawaban kuis",
    "certificates": "sertifikat",
    "broadcast_deliveries": "kiriman siaran",
    "staff_notes": "catatan staf",
    "drafts": "draf siaran",
    "annotations_kept": "anotasi disimpan",
    "annotations_removed": "anotasi dihapus",
}


# The export's skip reasons (bot/support/export.py), short.
SKIP_NAMES: Final = {
    "duplicate": "sudah ada",
    "replaced": "diganti anotasi baru",
    "conflict": "intent lain di data latih",
    "held_out": "data uji",
    "markup": "tanda entitas",
    "unknown_intent": "intent tidak dikenal",
}
# Keys whose value is a row number: shown as "#12".
NUMBERED: Final = frozenset({"catatan", "anotasi", "pesan", "sampai_pesan"})


def _filters(filters: dict[str, Any]) -> str:
    """Inbox filters as the form names them: "cari: cod, tinjauan: belum ditinjau, dinilai 👎"."""
    parts = []
    for key, value in filters.items():
        name = FILTER_LABELS.get(key, key)
        if key in FLAGS:
            parts.append(name)
        elif key == "tinjauan":
            parts.append(f"{name}: {REVIEW_CHOICES.get(value, value).lower()}")
        else:
            parts.append(f"{name}: {value}")
    return ", ".join(parts) or "tanpa saringan"


def _value(key: str, value: Any) -> str:
    if key == "reason":
        return str(REASON_NAMES.get(value, value))
    if key == "saringan" and isinstance(value, dict):
        return _filters(value)
    if key == "dilewati" and isinstance(value, dict):
        skipped = [f"{SKIP_NAMES.get(k, k)} {n}" for k, n in value.items()]
        return ", ".join(skipped) or "tidak ada"
    if key == "status":
        return STATUS_NAMES.get(value, str(value))
    if key == "format":
        return str(value).upper()
    if isinstance(value, list):
        return ", ".join(f"#{v}" for v in value)
    if key in NUMBERED:
        return f"#{value}"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items()) or "-"
    return str(value)


def describe(detail: dict[str, Any] | None) -> str:
    """A detail dict as Indonesian text for the audit page ("sebab: kata sandi salah; IP: ...").
    Only what was recorded is shown; known keys and values get their Indonesian names."""
    if not detail:
        return ""
    parts = []
    for key, value in detail.items():
        if key == "locked":
            if value:
                parts.append("akun dikunci")
            continue
        if value is None:
            continue
        parts.append(f"{DETAIL_NAMES.get(key, key)}: {_value(key, value)}")
    return "; ".join(parts)


def audit(
    session: Session,
    account_id: int | None,
    action: str,
    target_type: str | None = None,
    target_id: str | int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        at=utcnow(),
        account_id=account_id,
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        detail=detail,
    )
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    username: str | None
    action: str
    target_type: str | None
    target_id: str | None
    detail: dict[str, Any] | None

    @property
    def action_name(self) -> str:
        return ACTION_NAMES.get(self.action, self.action)

    @property
    def target(self) -> str:
        if self.target_type is None:
            return "-"
        name = TARGET_NAMES.get(self.target_type, self.target_type)
        return f"{name} {self.target_id}" if self.target_id else name

    @property
    def description(self) -> str:
        return describe(self.detail)


def count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def page(session: Session, offset: int, limit: int) -> list[AuditRow]:
    """Newest first, with the account's username (None once the account is gone)."""
    rows = session.execute(
        select(AuditEntry, StaffAccount.username)
        .outerjoin(StaffAccount, StaffAccount.id == AuditEntry.account_id)
        .order_by(AuditEntry.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return [
        AuditRow(e.id, e.at, username, e.action, e.target_type, e.target_id, e.detail)
        for e, username in rows
    ]
