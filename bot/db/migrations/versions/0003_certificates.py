"""Module completion certificates (issue #4).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29

Written by hand (checked against the models by tests/test_migrations.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.Integer(), nullable=False),
        sa.Column("seller_name", sa.String(255), nullable=False),
        sa.Column("module_title", sa.String(120), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["seller_id"],
            ["sellers.id"],
            name="fk_certificates_seller_id_sellers",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["module_id"],
            ["content_modules.id"],
            name="fk_certificates_module_id_content_modules",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_certificates"),
        sa.UniqueConstraint("seller_id", "module_id", name="uq_certificates_seller_id_module_id"),
        sa.UniqueConstraint("code", name="uq_certificates_code"),
    )
    op.create_index("ix_certificates_module_id", "certificates", ["module_id"])


def downgrade() -> None:
    op.drop_index("ix_certificates_module_id", table_name="certificates")
    op.drop_table("certificates")
