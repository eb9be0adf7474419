"""The bank statement file registry: each file's SHA-256 and outcome (issue 21, ADR 0036).

Revision ID: 0014
Revises: 0013 (API call counts)
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime  # naive UTC (store.schema.UtcDateTime)
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "bank_statement_files",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("source", sa.String(100), nullable=False, comment="the bank_statement connector's name"),
        sa.Column("sha256", sa.String(64), nullable=False, comment="of the file's bytes"),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column(
            "format", sa.String(12), comment="camt053 | mt940 | ofx | csv | xlsx; NULL = not recognized"
        ),
        sa.Column("outcome", sa.String(12), nullable=False, comment="loaded | rejected | duplicate"),
        sa.Column("lines", sa.Integer(), nullable=False, comment="statement lines in the file"),
        sa.Column("created", sa.Integer(), nullable=False, comment="lines new to the ledger"),
        sa.Column("unchanged", sa.Integer(), nullable=False, comment="lines the ledger already held"),
        sa.Column("reason", sa.Text(), comment="why a file was rejected (where, what)"),
        sa.Column("statements", sa.Text(), comment="the statement ids of the file, comma-separated"),
        sa.Column("sync_run_id", ID, comment="the sync_runs row of a loaded file's lines"),
        sa.Column("recorded_at", TS(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_bank_statement_files"),
    )
    op.create_index("ix_bank_statement_files_sha", "bank_statement_files", ["source", "sha256"])


def downgrade() -> None:
    op.drop_index("ix_bank_statement_files_sha", table_name="bank_statement_files")
    op.drop_table("bank_statement_files")
