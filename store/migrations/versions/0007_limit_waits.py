"""Shared rate budgets (issue 14 §2): a run says how long it waited out per-minute/concurrency limits
(`waited_seconds`, NULL = did not wait or recorded before 0007) and, when it stopped on a spent daily
cap, when that cap resets (`resets_at`, naive UTC like every timestamp).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime  # naive UTC (store.schema.UtcDateTime)


def upgrade() -> None:
    # Nullable columns: plain ADD COLUMNs, no table rebuild.
    op.add_column(
        "sync_runs",
        sa.Column("waited_seconds", sa.Float, comment="seconds spent waiting out rate limits"),
    )
    op.add_column(
        "sync_runs",
        sa.Column("resets_at", TS(), comment="a spent daily cap resets then (UTC); NULL = none hit"),
    )


def downgrade() -> None:
    with op.batch_alter_table("sync_runs") as batch:
        for name in ("resets_at", "waited_seconds"):
            batch.drop_column(name)
