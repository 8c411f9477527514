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

# What the audit page shows for each action (unknown actions are shown as stored).
ACTION_NAMES: Final = {
    "login": "masuk",
    "login_failed": "gagal masuk",
    "logout": "keluar",
    "view": "melihat",
    "export": "mengekspor",
    "reply": "membalas",
    "annotate": "menganotasi",
    "note": "menulis catatan",
    "review": "menandai ditinjau",
    "unreview": "membatalkan tanda ditinjau",
    "handoff": "mengambil alih",
    "release": "mengembalikan ke bot",
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
DETAIL_NAMES: Final = {"reason": "sebab", "ip": "IP", "halaman": "halaman"}


def describe(detail: dict[str, Any] | None) -> str:
    """A detail dict as Indonesian text for the audit page ("sebab: kata sandi salah; IP: ...")."""
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
        if key == "reason":
            shown = REASON_NAMES.get(value, value)
        elif isinstance(value, dict):  # e.g. the inbox filters of an export
            shown = ", ".join(f"{k}={v}" for k, v in value.items()) or "tanpa saringan"
        else:
            shown = value
        parts.append(f"{DETAIL_NAMES.get(key, key)}: {shown}")
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
