"""Why the scored pass paired two documents: the components of the pair's score kept with the match
link (issue 22, ADR 0018), so that a later UI can show them. NULL for pairs made by a key, an
aggregate or by hand.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHY_COMMENT = "JSON: points of each score component of a fuzzy pair (amount, date, party, reference)"


def upgrade() -> None:
    # Nullable, no default: a plain ADD COLUMN on SQLite and PostgreSQL alike (no table rebuild).
    op.add_column("reconcile_matches", sa.Column("why", sa.Text(), comment=WHY_COMMENT))


def downgrade() -> None:
    with op.batch_alter_table("reconcile_matches") as batch:  # SQLite before 3.35 cannot DROP COLUMN
        batch.drop_column("why")
