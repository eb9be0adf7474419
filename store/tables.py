"""The ledger's tables: documents with their lines and allocations, revisions, quarantine, sync state and
runs, encrypted secrets and tokens, and lease locks."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from store.schema import TRIGGER_ON_POSTGRESQL, ExactDecimal, Money, UtcDateTime, metadata

DIGEST_COMMENT = (
    "HMAC-SHA256 under the seal key of (stream, revision, deleted, payload_hash, the revision's snapshot); "
    "NULL = written before 0006"
)

ID = BigInteger().with_variant(Integer(), "sqlite")
"""Surrogate keys: BIGINT on PostgreSQL, INTEGER PRIMARY KEY (the rowid) on SQLite."""


def _checked_per_statement(column: str, parent: str, ondelete: str | None = None) -> ForeignKeyConstraint:
    """A foreign key a page write fills: a constraint on SQLite; on PostgreSQL statement-level triggers
    over each COPY's transition table do its work (migration 0016, ADR 0037), so no DDL there."""
    constraint = ForeignKeyConstraint(
        [column], [f"{parent}.id"], ondelete=ondelete, info=TRIGGER_ON_POSTGRESQL
    )
    return constraint.ddl_if(dialect="sqlite")


documents = Table(
    "documents",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("source", String(100), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("external_id", Text, nullable=False),
    Column("stream", String(100), nullable=False),
    Column("number", Text),
    Column("party_external_id", Text),
    Column("party_name", Text),
    Column("owner", Text),
    Column("issued_on", Date),
    Column("due_on", Date),
    Column("currency", String(3)),
    Column("exchange_rate", ExactDecimal()),
    Column("subtotal", Money()),
    Column("tax", Money()),
    Column("total", Money()),
    Column("balance", Money()),
    Column("discount", Money(), comment="document-level discount not inside subtotal; NULL = unknown"),
    Column("shipping", Money()),
    Column("adjustment", Money()),
    Column("rounding", Money()),
    Column("tax_inclusive", Boolean, comment="tax inside line amounts and subtotal; NULL = unknown"),
    Column("status", String(20), nullable=False),
    Column("raw_status", Text),
    Column("refs", Text, nullable=False, comment="references{} as sorted JSON text"),
    Column("source_modified_at", UtcDateTime()),
    Column("deleted", Boolean, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("payload_hash", String(64), nullable=False),
    Column("last_seen_run_id", ID),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("digest", String(64), comment=DIGEST_COMMENT),
    UniqueConstraint("source", "kind", "external_id", name="uq_documents_key"),
    Index("ix_documents_stream", "source", "stream", "external_id"),
)

document_lines = Table(
    "document_lines",
    metadata,
    Column("document_id", ID, primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("product", Text),
    Column("product_external_id", Text),
    Column("sku", Text),
    Column("description", Text),
    Column("quantity", ExactDecimal()),
    Column("unit_price", Money()),
    Column("amount", Money(), nullable=False),
    Column("tax", Money()),
    _checked_per_statement("document_id", "documents", ondelete="CASCADE"),
)

allocations = Table(
    "allocations",
    metadata,
    Column("document_id", ID, primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("invoice_external_id", Text, nullable=False),
    Column("target_kind", String(20), nullable=False),
    Column("amount", Money(), nullable=False),
    _checked_per_statement("document_id", "documents", ondelete="CASCADE"),
)

sync_runs = Table(
    "sync_runs",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("connector", String(100), nullable=False),
    Column("stream", String(100), nullable=False),
    Column("mode", String(12), nullable=False, comment="incremental | full | sweep"),
    Column("status", String(12), nullable=False, comment="running | ok | failed | interrupted"),
    Column("fetched", Integer, nullable=False, default=0),
    Column("created", Integer, nullable=False, default=0),
    Column("updated", Integer, nullable=False, default=0),
    Column("unchanged", Integer, nullable=False, default=0),
    Column("deleted", Integer, nullable=False, default=0),
    Column("quarantined", Integer, nullable=False, default=0),
    Column("since", UtcDateTime()),
    Column("cursor", UtcDateTime()),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("finished_at", UtcDateTime()),
    Column("error", Text),
    Column("host", Text),
    Column("pid", Integer),
    Column(
        "count_check", String(12), comment="match | drift | unknown | unavailable | error; NULL = not checked"
    ),
    Column("vendor_count", Integer, comment="the vendor's own count"),
    Column("ledger_count", Integer, comment="live documents of the stream"),
    Column("quarantine_count", Integer, comment="open quarantined records of the stream"),
    Column("waited_seconds", Float, comment="seconds spent waiting out rate limits"),
    Column("resets_at", UtcDateTime(), comment="a spent daily cap resets then (UTC); NULL = none hit"),
    Index("ix_sync_runs_stream", "connector", "stream", "id"),
)

revisions = Table(
    "revisions",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("document_id", ID, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("change_kind", String(12), nullable=False),
    Column("sync_run_id", ID),
    Column("payload_hash", String(64), nullable=False),
    Column("raw_payload", Text, nullable=False),
    Column("snapshot", Text, nullable=False, comment="the canonical document as JSON after this change"),
    Column("recorded_at", UtcDateTime(), nullable=False),
    UniqueConstraint("document_id", "revision", name="uq_revisions_document_revision"),
    _checked_per_statement("document_id", "documents", ondelete="CASCADE"),
    _checked_per_statement("sync_run_id", "sync_runs"),
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("source", String(100), nullable=False),
    Column("stream", String(100), nullable=False),
    Column("external_id", Text),
    Column("reason", Text, nullable=False),
    # The reason as data (migration 0009; NULL on rows quarantined before it: `reason` says it all).
    Column("reason_field", Text, comment="the vendor field the reason names; NULL = the whole record"),
    Column("reason_rule", String(40), comment="connectors/reasons.py Rule code; NULL = before 0009"),
    Column("reason_value", Text, comment="the offending value as shown, cut at 80 characters"),
    Column("raw_payload", Text, nullable=False),
    Column("payload_hash", String(64), nullable=False),
    Column("first_seen_at", UtcDateTime(), nullable=False),
    Column("last_seen_at", UtcDateTime(), nullable=False),
    Column("count", Integer, nullable=False),
    Column("last_run_id", ID),
    Column("resolved_at", UtcDateTime(), comment="when the same record later normalized fine"),
    UniqueConstraint("source", "stream", "payload_hash", name="uq_quarantine_payload"),
    Index("ix_quarantine_record", "source", "stream", "external_id"),
)

sync_state = Table(
    "sync_state",
    metadata,
    Column("connector", String(100), primary_key=True),
    Column("stream", String(100), primary_key=True),
    Column("cursor", UtcDateTime()),
    Column("last_full_at", UtcDateTime()),
    Column("last_sweep_at", UtcDateTime()),
    Column("updated_at", UtcDateTime(), nullable=False),
)

secrets = Table(
    "secrets",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("ciphertext", Text, nullable=False),
    Column("set_at", UtcDateTime(), nullable=False),
)

tokens = Table(
    "tokens",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("ciphertext", Text, nullable=False),
    Column("saved_at", UtcDateTime(), nullable=False),
)

leases = Table(
    "leases",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("holder", Text, nullable=False, comment="a unique id of the holding process and thread"),
    Column("host", Text, nullable=False),
    Column("pid", Integer, nullable=False),
    Column("acquired_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
)
