"""Seller profiles from onboarding (issue #4).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29

Written by hand (checked against the models by tests/test_migrations.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "seller_profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("nickname", sa.String(64), nullable=True),
        sa.Column("shop_name", sa.String(120), nullable=True),
        sa.Column("platforms", sa.JSON(), nullable=False),
        sa.Column("cluster", sa.String(32), nullable=True),
        sa.Column("city", sa.String(120), nullable=True),
        sa.Column("experience", sa.String(32), nullable=True),
        sa.Column("step", sa.String(32), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["seller_id"],
            ["sellers.id"],
            name="fk_seller_profiles_seller_id_sellers",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_seller_profiles"),
        sa.UniqueConstraint("seller_id", name="uq_seller_profiles_seller_id"),
    )


def downgrade() -> None:
    op.drop_table("seller_profiles")
