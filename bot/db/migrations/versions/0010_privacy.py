"""Privacy (issue #7): which privacy notice a seller was shown and when, and which messages the
retention job anonymised.

Plain ADD COLUMN / DROP COLUMN (SQLite 3.35+ has both), never a batch rebuild of `messages`:
rebuilding it would drop the full-text search triggers of migration 0009.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("sellers", sa.Column("privacy_notice_at", sa.DateTime(timezone=True)))
    op.add_column("sellers", sa.Column("privacy_notice_version", sa.String(32)))
    op.add_column("messages", sa.Column("anonymised_at", sa.DateTime(timezone=True)))
    op.create_index(
        "ix_messages_anonymised_at_created_at", "messages", ["anonymised_at", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_messages_anonymised_at_created_at", table_name="messages")
    op.drop_column("messages", "anonymised_at")
    op.drop_column("sellers", "privacy_notice_version")
    op.drop_column("sellers", "privacy_notice_at")
