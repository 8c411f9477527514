"""Webhook inbox (issue #7): Telegram updates accepted by the webhook and not yet handled.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbound_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("update_id", sa.BigInteger(), nullable=False),
        sa.Column("ordering_key", sa.BigInteger(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(64), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_inbound_updates"),
        sa.UniqueConstraint("update_id", name="uq_inbound_updates_update_id"),
    )
    op.create_index(
        "ix_inbound_updates_ordering_key_update_id",
        "inbound_updates",
        ["ordering_key", "update_id"],
    )
    op.create_index(
        "ix_inbound_updates_status_update_id", "inbound_updates", ["status", "update_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_inbound_updates_status_update_id", table_name="inbound_updates")
    op.drop_index("ix_inbound_updates_ordering_key_update_id", table_name="inbound_updates")
    op.drop_table("inbound_updates")
