"""Party aliases: names finance declared to be the same customer, for one rule or every rule (issue 17,
ADR 0029). A declined suggestion needs no table: it is an `unmatch` override (reconcile_overrides).

Revision ID: 0012
Revises: 0011 (exception queue)
Create Date: 2026-12-11
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime  # naive UTC (store.schema.UtcDateTime)
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "party_aliases",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("rule", sa.String(100), comment="NULL = every rule"),
        sa.Column("name_a", sa.Text(), nullable=False),
        sa.Column("name_b", sa.Text(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", TS(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("ended_at", TS()),
        sa.Column("ended_by", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_party_aliases"),
    )
    op.create_index("ix_party_aliases_active", "party_aliases", ["active", "rule"])


def downgrade() -> None:
    op.drop_index("ix_party_aliases_active", table_name="party_aliases")
    op.drop_table("party_aliases")
