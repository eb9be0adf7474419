"""Reconciliation: runs, matches, exceptions, exception events (append-only), manual overrides.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MONEY = sa.BigInteger  # amounts as integers of 4 decimal places (store.schema.Money)
TS = sa.DateTime  # naive UTC (store.schema.UtcDateTime)


def upgrade() -> None:
    op.create_table(
        "reconcile_runs",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("rule", sa.String(100), nullable=False),
        sa.Column("rule_kind", sa.String(20), nullable=False),
        sa.Column("period", sa.String(20), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("left_count", sa.Integer(), nullable=False),
        sa.Column("right_count", sa.Integer(), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("exception_counts", sa.Text(), nullable=False),
        sa.Column("bridge", sa.Text(), nullable=False),
        sa.Column("opened", sa.Integer(), nullable=False),
        sa.Column("auto_resolved", sa.Integer(), nullable=False),
        sa.Column("reopened", sa.Integer(), nullable=False),
        sa.Column("started_at", TS(), nullable=False),
        sa.Column("finished_at", TS()),
        sa.Column("error", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_reconcile_runs"),
    )
    op.create_index("ix_reconcile_runs_rule", "reconcile_runs", ["rule", "id"])
    op.create_table(
        "reconcile_matches",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("run_id", ID, nullable=False),
        sa.Column("rule", sa.String(100), nullable=False),
        sa.Column("group_no", sa.Integer(), nullable=False),
        sa.Column("left_document_id", ID, nullable=False),
        sa.Column("right_document_id", ID, nullable=False),
        sa.Column("how", sa.String(60), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_reconcile_matches"),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["reconcile_runs.id"],
            name="fk_reconcile_matches_run_id_reconcile_runs",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_reconcile_matches_rule", "reconcile_matches", ["rule", "left_document_id"])
    op.create_table(
        "reconcile_exceptions",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("fingerprint", sa.String(32), nullable=False),
        sa.Column("rule", sa.String(100), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("signature", sa.String(32), nullable=False),
        sa.Column("assignee", sa.Text()),
        sa.Column("issued_on", sa.Date()),
        sa.Column("left_docs", sa.Text(), nullable=False),
        sa.Column("right_docs", sa.Text(), nullable=False),
        sa.Column("left_amount", MONEY()),
        sa.Column("right_amount", MONEY()),
        sa.Column("difference", MONEY()),
        sa.Column("currency", sa.String(3)),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("resolution_kind", sa.String(30)),
        sa.Column("resolution_note", sa.Text()),
        sa.Column("first_seen_at", TS(), nullable=False),
        sa.Column("last_seen_at", TS(), nullable=False),
        sa.Column("first_run_id", ID),
        sa.Column("last_run_id", ID),
        sa.Column("updated_at", TS(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_reconcile_exceptions"),
        sa.UniqueConstraint("fingerprint", name="uq_reconcile_exceptions_fingerprint"),
    )
    op.create_index("ix_reconcile_exceptions_rule", "reconcile_exceptions", ["rule", "status"])
    op.create_table(
        "reconcile_exception_events",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("exception_id", ID, nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("from_status", sa.String(20)),
        sa.Column("to_status", sa.String(20), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("note", sa.Text()),
        sa.Column("run_id", ID),
        sa.Column("at", TS(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_reconcile_exception_events"),
        sa.ForeignKeyConstraint(
            ["exception_id"],
            ["reconcile_exceptions.id"],
            name="fk_reconcile_exception_events_exception_id_reconcile_exceptions",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_reconcile_exception_events_exception", "reconcile_exception_events", ["exception_id", "id"]
    )
    op.create_table(
        "reconcile_overrides",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("rule", sa.String(100), nullable=False),
        sa.Column("action", sa.String(10), nullable=False),
        sa.Column("left_key", sa.Text(), nullable=False),
        sa.Column("right_key", sa.Text(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", TS(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("ended_at", TS()),
        sa.Column("ended_by", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_reconcile_overrides"),
    )
    op.create_index("ix_reconcile_overrides_rule", "reconcile_overrides", ["rule", "active"])


def downgrade() -> None:
    for table in (
        "reconcile_overrides",
        "reconcile_exception_events",
        "reconcile_exceptions",
        "reconcile_matches",
        "reconcile_runs",
    ):
        op.drop_table(table)
