"""Drip series: lesson series sent relative to each seller's enrolment in a module (issue #5).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29

Written by hand (checked against the models by tests/test_migrations.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "drip_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("module_key", sa.String(20), nullable=False),
        sa.Column("local_hour", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("local_hour BETWEEN 0 AND 23", name=op.f("ck_drip_series_local_hour")),
        sa.PrimaryKeyConstraint("id", name="pk_drip_series"),
    )
    op.create_table(
        "drip_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("day_offset", sa.Integer(), nullable=False),
        sa.Column("lesson_id", sa.Integer(), nullable=False),
        sa.Column("broadcast_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["drip_series.id"],
            name="fk_drip_steps_series_id_drip_series",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lesson_id"],
            ["content_lessons.id"],
            name="fk_drip_steps_lesson_id_content_lessons",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["broadcast_id"],
            ["broadcasts.id"],
            name="fk_drip_steps_broadcast_id_broadcasts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_drip_steps"),
        sa.UniqueConstraint("series_id", "position", name="uq_drip_steps_series_id_position"),
        sa.UniqueConstraint("broadcast_id", name="uq_drip_steps_broadcast_id"),
    )
    op.create_index("ix_drip_steps_lesson_id", "drip_steps", ["lesson_id"])


def downgrade() -> None:
    op.drop_index("ix_drip_steps_lesson_id", table_name="drip_steps")
    op.drop_table("drip_steps")
    op.drop_table("drip_series")
