"""What a document's total is made of: discount, shipping, adjustment, rounding, and whether the tax is
inside the amounts (issue 12, ADR 0015). NULL = the source did not say (unknown), never 0.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.BigInteger  # amounts as integers of 4 decimal places (store.schema.Money)
AMOUNTS = ("discount", "shipping", "adjustment", "rounding")


def upgrade() -> None:
    # Nullable, no default: a plain ADD COLUMN on SQLite and PostgreSQL alike (no table rebuild), and
    # rows written before this revision read as unknown, which is what they are until re-synced.
    op.add_column(
        "documents",
        sa.Column("discount", MONEY(), comment="document-level discount not inside subtotal; NULL = unknown"),
    )
    for name in AMOUNTS[1:]:
        op.add_column("documents", sa.Column(name, MONEY()))
    op.add_column(
        "documents",
        sa.Column(
            "tax_inclusive", sa.Boolean(), comment="tax inside line amounts and subtotal; NULL = unknown"
        ),
    )


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:  # SQLite before 3.35 cannot DROP COLUMN in place
        for name in (*AMOUNTS, "tax_inclusive"):
            batch.drop_column(name)
