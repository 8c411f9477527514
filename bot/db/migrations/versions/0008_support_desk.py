"""Support desk: staff accounts and sessions, audit log, notes, NLU annotations, handoff and
review state on sellers, feedback and staff authorship on messages (issue #6).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29

Written by hand (checked against the models by tests/test_migrations.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_staff_accounts"),
        sa.UniqueConstraint("username", name="uq_staff_accounts_username"),
        sa.UniqueConstraint("telegram_user_id", name="uq_staff_accounts_telegram_user_id"),
    )
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["staff_accounts.id"],
            name="fk_staff_sessions_account_id_staff_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_staff_sessions"),
    )
    op.create_index("ix_staff_sessions_account_id", "staff_sessions", ["account_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target_type", sa.String(32), nullable=True),
        sa.Column("target_id", sa.String(64), nullable=True),
        sa.Column("detail", sa.JSON(none_as_null=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["staff_accounts.id"],
            name="fk_audit_log_account_id_staff_accounts",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_account_id", "audit_log", ["account_id"])
    op.create_table(
        "staff_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["seller_id"],
            ["sellers.id"],
            name="fk_staff_notes_seller_id_sellers",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["staff_accounts.id"],
            name="fk_staff_notes_account_id_staff_accounts",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_staff_notes"),
    )
    op.create_index("ix_staff_notes_seller_id", "staff_notes", ["seller_id"])
    op.create_table(
        "nlu_annotations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("intent", sa.String(64), nullable=False),
        sa.Column("example", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("exported_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name="fk_nlu_annotations_message_id_messages",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["staff_accounts.id"],
            name="fk_nlu_annotations_account_id_staff_accounts",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_nlu_annotations"),
    )
    op.create_index("ix_nlu_annotations_message_id", "nlu_annotations", ["message_id"])
    with op.batch_alter_table("sellers") as batch:
        batch.add_column(sa.Column("handoff_state", sa.String(16), nullable=True))
        batch.add_column(sa.Column("handoff_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("reviewed_message_id", sa.Integer(), nullable=True))
        batch.create_index("ix_sellers_handoff_state", ["handoff_state"])
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("feedback", sa.String(8), nullable=True))
        batch.add_column(sa.Column("feedback_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("sent_by_account_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_messages_sent_by_account_id_staff_accounts",
            "staff_accounts",
            ["sent_by_account_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_constraint("fk_messages_sent_by_account_id_staff_accounts", type_="foreignkey")
        batch.drop_column("sent_by_account_id")
        batch.drop_column("feedback_at")
        batch.drop_column("feedback")
    with op.batch_alter_table("sellers") as batch:
        batch.drop_index("ix_sellers_handoff_state")
        batch.drop_column("reviewed_message_id")
        batch.drop_column("handoff_at")
        batch.drop_column("handoff_state")
    op.drop_index("ix_nlu_annotations_message_id", table_name="nlu_annotations")
    op.drop_table("nlu_annotations")
    op.drop_index("ix_staff_notes_seller_id", table_name="staff_notes")
    op.drop_table("staff_notes")
    op.drop_index("ix_audit_log_account_id", table_name="audit_log")
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index("ix_staff_sessions_account_id", table_name="staff_sessions")
    op.drop_table("staff_sessions")
    op.drop_table("staff_accounts")
