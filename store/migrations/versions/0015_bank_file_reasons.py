"""A rejected bank statement file's reason as data: its code and values beside the English sentence, so
`sync status` says it in the reader's language (issue 21, ADR 0036).

Revision ID: 0015
Revises: 0014 (bank statement files)
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


REASON_CODE = "the reason's code: catalogue bank.reason.<code> (migration 0015)"
REASON_PARAMS = "the reason's where and values, a JSON object of strings"


def upgrade() -> None:
    op.add_column("bank_statement_files", sa.Column("reason_code", sa.String(40), comment=REASON_CODE))
    op.add_column("bank_statement_files", sa.Column("reason_params", sa.Text(), comment=REASON_PARAMS))


def downgrade() -> None:
    with op.batch_alter_table("bank_statement_files") as batch:  # SQLite before 3.35 cannot DROP COLUMN
        batch.drop_column("reason_params")
        batch.drop_column("reason_code")
