"""Tamper evidence (issue 13, ADR 0020): each document row carries a keyed digest of its canonical
snapshot, and the audit head says how its chain is sealed (`sha256` for a chain written before this
revision: the next audited action re-seals it with the installation's seal key and records that).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DIGEST_COMMENT = (
    "HMAC-SHA256 under the seal key of (stream, revision, deleted, payload_hash, the revision's snapshot); "
    "NULL = written before 0006"
)
SCHEME_COMMENT = "sha256 (unkeyed, before 0006) or hmac-sha256:<seal key fingerprint>"
HASH_COMMENT = "HMAC-SHA256 under the seal key of (prev_hash, id, time, actor, action, detail)"
OLD_HASH_COMMENT = "sha256(prev_hash, id, time, actor, action, detail)"


def _comment(text: str) -> None:
    if op.get_bind().dialect.name == "postgresql":  # SQLite keeps no column comments
        op.alter_column(
            "audit_log", "hash", comment=text, existing_type=sa.String(64), existing_nullable=False
        )


def upgrade() -> None:
    # Nullable (documents) or with a constant default (audit_head): plain ADD COLUMNs, no table rebuild.
    op.add_column("documents", sa.Column("digest", sa.String(64), comment=DIGEST_COMMENT))
    op.add_column(
        "audit_head",
        sa.Column("scheme", sa.String(64), nullable=False, server_default="sha256", comment=SCHEME_COMMENT),
    )
    _comment(HASH_COMMENT)


def downgrade() -> None:
    _comment(OLD_HASH_COMMENT)
    with op.batch_alter_table("audit_head") as batch:  # SQLite before 3.35 cannot DROP COLUMN
        batch.drop_column("scheme")
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("digest")
