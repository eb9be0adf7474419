"""The hash-chained audit log, its head row, and the daemon's job claims (one run per schedule tick).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime  # naive UTC (store.schema.UtcDateTime)
GENESIS = "0" * 64


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column(
            "id", sa.BigInteger(), autoincrement=False, nullable=False, comment="1, 2, 3... without gaps"
        ),
        sa.Column("recorded_at", TS(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column(
            "detail", sa.Text(), nullable=False, comment="canonical JSON object, hashed exactly as stored"
        ),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column(
            "hash",
            sa.String(64),
            nullable=False,
            comment="sha256(prev_hash, id, time, actor, action, detail)",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False, comment="always 1"),
        sa.Column("seq", sa.BigInteger(), nullable=False, comment="id of the newest audit_log row"),
        sa.Column("hash", sa.String(64), nullable=False, comment="hash of the newest audit_log row"),
        sa.PrimaryKeyConstraint("id", name="pk_audit_head"),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": GENESIS}])
    op.create_table(
        "job_claims",
        sa.Column("job", sa.String(200), nullable=False),
        sa.Column("tick", TS(), nullable=False, comment="the scheduled fire time the claim is for"),
        sa.Column("holder", sa.Text(), nullable=False, comment="host:pid of the daemon that ran it"),
        sa.Column("claimed_at", TS(), nullable=False),
        sa.PrimaryKeyConstraint("job", "tick", name="pk_job_claims"),
    )


def downgrade() -> None:
    for table in ("job_claims", "audit_head", "audit_log"):
        op.drop_table(table)
