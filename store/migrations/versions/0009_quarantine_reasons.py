"""Quarantine reasons as data (issue 16 §4): the vendor field a reason names, a stable rule code
(connectors/reasons.py) and the offending value as shown, beside the flattened English `reason`, so
`sync status` and the web app group a stream's quarantined records by field and say them in either
language. Rows quarantined before keep NULLs and their text: they read and display as before.

Revision ID: 0009
Revises: 0008 (issue 14 §4: stream counts)
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable columns: plain ADD COLUMNs, no table rebuild; old rows keep NULL (no backfill: their
    # text was never parsed, and guessing a field from it could group a record under the wrong one).
    op.add_column(
        "quarantine",
        sa.Column(
            "reason_field", sa.Text, comment="the vendor field the reason names; NULL = the whole record"
        ),
    )
    op.add_column(
        "quarantine",
        sa.Column(
            "reason_rule", sa.String(40), comment="connectors/reasons.py Rule code; NULL = before 0009"
        ),
    )
    op.add_column(
        "quarantine",
        sa.Column("reason_value", sa.Text, comment="the offending value as shown, cut at 80 characters"),
    )


def downgrade() -> None:
    with op.batch_alter_table("quarantine") as batch:
        for name in ("reason_value", "reason_rule", "reason_field"):
            batch.drop_column(name)
