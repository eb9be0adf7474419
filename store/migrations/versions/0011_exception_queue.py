"""The review queue's columns on reconcile_exceptions (customer, free text, base-currency amount) and
the indexes its pages and sorts use (issue 17; store/exception_keys.py says what each column holds).

Revision ID: 0011
Revises: 0010 (web users)
Create Date: 2026-12-11
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.exception_keys import refresh_queue_keys

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "reconcile_exceptions"


def upgrade() -> None:
    with op.batch_alter_table(TABLE) as batch:
        batch.add_column(
            sa.Column(
                "queue_party",
                sa.Text(),
                comment="customers of its documents, NFKC + casefold, one per line",
            )
        )
        batch.add_column(
            sa.Column(
                "queue_text",
                sa.Text(),
                comment="parties, document numbers, explanation, folded alike: free text",
            )
        )
        batch.add_column(
            sa.Column(
                "queue_amount",
                sa.BigInteger(),
                nullable=False,
                server_default="0",
                comment="|difference| in base currency",
            )
        )
    # covering: a filter by customer or free text scans this index, not the table's wide rows
    op.create_index(
        "ix_reconcile_exceptions_queue_age",
        TABLE,
        ["status", "first_seen_at", "id", "queue_amount", "queue_party", "queue_text"],
    )
    op.create_index("ix_reconcile_exceptions_queue_amount", TABLE, ["status", "queue_amount", "id"])
    op.create_index("ix_reconcile_exceptions_queue_assignee", TABLE, ["assignee", "status"])
    refresh_queue_keys(op.get_bind())  # the exceptions already stored


def downgrade() -> None:
    op.drop_index("ix_reconcile_exceptions_queue_assignee", TABLE)
    op.drop_index("ix_reconcile_exceptions_queue_amount", TABLE)
    op.drop_index("ix_reconcile_exceptions_queue_age", TABLE)
    with op.batch_alter_table(TABLE) as batch:
        batch.drop_column("queue_amount")
        batch.drop_column("queue_text")
        batch.drop_column("queue_party")
