"""Staff roles: who may use trainer, support and admin features. Checked on every such command
against the database (never cached), so a revoked role stops working at once."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.models import Role, StaffRole, utcnow


def role_of(session: Session, telegram_user_id: int) -> Role | None:
    row = session.scalars(
        select(StaffRole).where(StaffRole.telegram_user_id == telegram_user_id)
    ).first()
    return Role(row.role) if row is not None else None


def grant(session: Session, telegram_user_id: int, role: Role, granted_by: int | None) -> None:
    row = session.scalars(
        select(StaffRole).where(StaffRole.telegram_user_id == telegram_user_id)
    ).first()
    if row is None:
        session.add(StaffRole(telegram_user_id=telegram_user_id, role=role, granted_by=granted_by))
    else:
        row.role, row.granted_by, row.granted_at = role, granted_by, utcnow()
    session.flush()


def revoke(session: Session, telegram_user_id: int) -> Role | None:
    row = session.scalars(
        select(StaffRole).where(StaffRole.telegram_user_id == telegram_user_id)
    ).first()
    if row is None:
        return None
    role = Role(row.role)
    session.delete(row)
    session.flush()
    return role
