"""API calls per connector per month (issue 19: QuickBooks reads are metered against a monthly
allowance).

Revision ID: 0013
Revises: 0012 (party aliases)
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime  # naive UTC (store.schema.UtcDateTime)


def upgrade() -> None:
    op.create_table(
        "api_calls",
        sa.Column("connector", sa.String(100), nullable=False),
        sa.Column("month", sa.String(7), nullable=False, comment="YYYY-MM, UTC"),
        sa.Column("calls", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", TS(), nullable=False),
        sa.PrimaryKeyConstraint("connector", "month", name="pk_api_calls"),
    )


def downgrade() -> None:
    op.drop_table("api_calls")
