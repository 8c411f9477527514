"""Broadcast content (HTML, photo/document, lesson button), trainer reports and /siaran drafts.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29

Written by hand (checked against the models by tests/test_migrations.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BROADCAST_COLUMNS = (
    ("parse_mode", sa.String(10)),
    ("media_kind", sa.String(10)),
    ("media_file_id", sa.String(255)),
    ("lesson_id", sa.Integer()),
    ("report_chat_id", sa.BigInteger()),
    ("report_message_id", sa.BigInteger()),
    ("reported_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    with op.batch_alter_table("broadcasts") as batch:
        for name, type_ in _BROADCAST_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))
    op.create_table(
        "broadcast_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("step", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("parse_mode", sa.String(10), nullable=True),
        sa.Column("media_kind", sa.String(10), nullable=True),
        sa.Column("media_file_id", sa.String(255), nullable=True),
        sa.Column("module_key", sa.String(20), nullable=True),
        sa.Column("lesson_id", sa.Integer(), nullable=True),
        sa.Column("segment", sa.JSON(), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_broadcast_drafts"),
        sa.UniqueConstraint("telegram_user_id", name="uq_broadcast_drafts_telegram_user_id"),
    )


def downgrade() -> None:
    op.drop_table("broadcast_drafts")
    with op.batch_alter_table("broadcasts") as batch:
        for name, _ in reversed(_BROADCAST_COLUMNS):
            batch.drop_column(name)
