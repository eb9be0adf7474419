"""Completeness check (issue 14 §4): a run may carry the vendor's own count of the stream's records
beside the ledger's live documents and open quarantined records of that stream, and what the comparison
concluded (`count_check`: match | drift | unknown | unavailable | error; NULL = not checked).

Revision ID: 0008
Revises: 0007 (issue 14 §2: rate-limit waits)
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHECK_COMMENT = "match | drift | unknown | unavailable | error; NULL = not checked"


def upgrade() -> None:
    # Nullable columns: plain ADD COLUMNs, no table rebuild.
    op.add_column("sync_runs", sa.Column("count_check", sa.String(12), comment=CHECK_COMMENT))
    op.add_column("sync_runs", sa.Column("vendor_count", sa.Integer, comment="the vendor's own count"))
    op.add_column("sync_runs", sa.Column("ledger_count", sa.Integer, comment="live documents of the stream"))
    op.add_column(
        "sync_runs",
        sa.Column("quarantine_count", sa.Integer, comment="open quarantined records of the stream"),
    )


def downgrade() -> None:
    with op.batch_alter_table("sync_runs") as batch:
        for name in ("quarantine_count", "ledger_count", "vendor_count", "count_check"):
            batch.drop_column(name)
