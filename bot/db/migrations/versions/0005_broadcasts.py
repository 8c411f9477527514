"""Staff roles, broadcast opt-out, broadcasts and their delivery outbox (issue #5).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29

Written by hand (checked against the models by tests/test_migrations.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sellers") as batch:
        batch.add_column(
            sa.Column("broadcast_opt_out", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "staff_roles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "admin",
                "trainer",
                "support",
                name="role",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("granted_by", sa.BigInteger(), nullable=True),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_staff_roles"),
        sa.UniqueConstraint("telegram_user_id", name="uq_staff_roles_telegram_user_id"),
    )
    op.create_table(
        "broadcasts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("module_key", sa.String(20), nullable=True),
        sa.Column("segment", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_broadcasts"),
    )
    op.create_table(
        "broadcast_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("broadcast_id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("telegram_message_id", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["broadcast_id"],
            ["broadcasts.id"],
            name="fk_broadcast_deliveries_broadcast_id_broadcasts",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["seller_id"],
            ["sellers.id"],
            name="fk_broadcast_deliveries_seller_id_sellers",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_broadcast_deliveries"),
        sa.UniqueConstraint(
            "broadcast_id", "seller_id", name="uq_broadcast_deliveries_broadcast_id_seller_id"
        ),
    )
    op.create_index(
        "ix_broadcast_deliveries_status_next_attempt_at",
        "broadcast_deliveries",
        ["status", "next_attempt_at"],
    )
    op.create_index("ix_broadcast_deliveries_seller_id", "broadcast_deliveries", ["seller_id"])


def downgrade() -> None:
    op.drop_index("ix_broadcast_deliveries_seller_id", table_name="broadcast_deliveries")
    op.drop_index(
        "ix_broadcast_deliveries_status_next_attempt_at", table_name="broadcast_deliveries"
    )
    op.drop_table("broadcast_deliveries")
    op.drop_table("broadcasts")
    op.drop_table("staff_roles")
    with op.batch_alter_table("sellers") as batch:
        batch.drop_column("broadcast_opt_out")
