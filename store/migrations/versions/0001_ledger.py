"""The canonical ledger: documents, lines, allocations, revisions, quarantine, sync state and runs,
encrypted secrets and tokens, lease locks.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MONEY = sa.BigInteger  # amounts as integers of 4 decimal places (store.schema.Money)
EXACT = sa.String(64)  # exact decimal text (store.schema.ExactDecimal)
TS = sa.DateTime  # naive UTC (store.schema.UtcDateTime)


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("external_id", sa.Text(), nullable=False),
        sa.Column("stream", sa.String(100), nullable=False),
        sa.Column("number", sa.Text()),
        sa.Column("party_external_id", sa.Text()),
        sa.Column("party_name", sa.Text()),
        sa.Column("owner", sa.Text()),
        sa.Column("issued_on", sa.Date()),
        sa.Column("due_on", sa.Date()),
        sa.Column("currency", sa.String(3)),
        sa.Column("exchange_rate", EXACT),
        sa.Column("subtotal", MONEY()),
        sa.Column("tax", MONEY()),
        sa.Column("total", MONEY()),
        sa.Column("balance", MONEY()),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("raw_status", sa.Text()),
        sa.Column("refs", sa.Text(), nullable=False, comment="references{} as sorted JSON text"),
        sa.Column("source_modified_at", TS()),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("payload_hash", sa.String(64), nullable=False),
        sa.Column("last_seen_run_id", ID),
        sa.Column("created_at", TS(), nullable=False),
        sa.Column("updated_at", TS(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_documents"),
        sa.UniqueConstraint("source", "kind", "external_id", name="uq_documents_key"),
    )
    op.create_index("ix_documents_stream", "documents", ["source", "stream", "external_id"])

    op.create_table(
        "document_lines",
        sa.Column("document_id", ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("product", sa.Text()),
        sa.Column("product_external_id", sa.Text()),
        sa.Column("sku", sa.Text()),
        sa.Column("description", sa.Text()),
        sa.Column("quantity", EXACT),
        sa.Column("unit_price", MONEY()),
        sa.Column("amount", MONEY(), nullable=False),
        sa.Column("tax", MONEY()),
        sa.PrimaryKeyConstraint("document_id", "position", name="pk_document_lines"),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name="fk_document_lines_document_id_documents",
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "allocations",
        sa.Column("document_id", ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("invoice_external_id", sa.Text(), nullable=False),
        sa.Column("target_kind", sa.String(20), nullable=False),
        sa.Column("amount", MONEY(), nullable=False),
        sa.PrimaryKeyConstraint("document_id", "position", name="pk_allocations"),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name="fk_allocations_document_id_documents", ondelete="CASCADE"
        ),
    )

    op.create_table(
        "sync_runs",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("connector", sa.String(100), nullable=False),
        sa.Column("stream", sa.String(100), nullable=False),
        sa.Column("mode", sa.String(12), nullable=False, comment="incremental | full | sweep"),
        sa.Column("status", sa.String(12), nullable=False, comment="running | ok | failed | interrupted"),
        sa.Column("fetched", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Integer(), nullable=False),
        sa.Column("quarantined", sa.Integer(), nullable=False),
        sa.Column("since", TS()),
        sa.Column("cursor", TS()),
        sa.Column("started_at", TS(), nullable=False),
        sa.Column("finished_at", TS()),
        sa.Column("error", sa.Text()),
        sa.Column("host", sa.Text()),
        sa.Column("pid", sa.Integer()),
        sa.PrimaryKeyConstraint("id", name="pk_sync_runs"),
    )
    op.create_index("ix_sync_runs_stream", "sync_runs", ["connector", "stream", "id"])

    op.create_table(
        "revisions",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("document_id", ID, nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("change_kind", sa.String(12), nullable=False),
        sa.Column("sync_run_id", ID),
        sa.Column("payload_hash", sa.String(64), nullable=False),
        sa.Column("raw_payload", sa.Text(), nullable=False),
        sa.Column(
            "snapshot", sa.Text(), nullable=False, comment="the canonical document as JSON after this change"
        ),
        sa.Column("recorded_at", TS(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_revisions"),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name="fk_revisions_document_id_documents", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["sync_run_id"], ["sync_runs.id"], name="fk_revisions_sync_run_id_sync_runs"),
        sa.UniqueConstraint("document_id", "revision", name="uq_revisions_document_revision"),
    )

    op.create_table(
        "quarantine",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("stream", sa.String(100), nullable=False),
        sa.Column("external_id", sa.Text()),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raw_payload", sa.Text(), nullable=False),
        sa.Column("payload_hash", sa.String(64), nullable=False),
        sa.Column("first_seen_at", TS(), nullable=False),
        sa.Column("last_seen_at", TS(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("last_run_id", ID),
        sa.Column("resolved_at", TS(), comment="when the same record later normalized fine"),
        sa.PrimaryKeyConstraint("id", name="pk_quarantine"),
        sa.UniqueConstraint("source", "stream", "payload_hash", name="uq_quarantine_payload"),
    )
    op.create_index("ix_quarantine_record", "quarantine", ["source", "stream", "external_id"])

    op.create_table(
        "sync_state",
        sa.Column("connector", sa.String(100), nullable=False),
        sa.Column("stream", sa.String(100), nullable=False),
        sa.Column("cursor", TS()),
        sa.Column("last_full_at", TS()),
        sa.Column("last_sweep_at", TS()),
        sa.Column("updated_at", TS(), nullable=False),
        sa.PrimaryKeyConstraint("connector", "stream", name="pk_sync_state"),
    )
    op.create_table(
        "secrets",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("ciphertext", sa.Text(), nullable=False),
        sa.Column("set_at", TS(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_secrets"),
    )
    op.create_table(
        "tokens",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("ciphertext", sa.Text(), nullable=False),
        sa.Column("saved_at", TS(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_tokens"),
    )
    op.create_table(
        "leases",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column(
            "holder", sa.Text(), nullable=False, comment="a unique id of the holding process and thread"
        ),
        sa.Column("host", sa.Text(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("acquired_at", TS(), nullable=False),
        sa.Column("expires_at", TS(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_leases"),
    )


def downgrade() -> None:
    for table in (
        "leases",
        "tokens",
        "secrets",
        "sync_state",
        "quarantine",
        "revisions",
        "sync_runs",
        "allocations",
        "document_lines",
        "documents",
    ):
        op.drop_table(table)
