"""The reconciliation tables: runs, matches, exceptions, their append-only events, manual overrides."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from store.schema import Money, UtcDateTime, metadata
from store.tables import ID

reconcile_runs = Table(
    "reconcile_runs",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("rule", String(100), nullable=False),
    Column("rule_kind", String(20), nullable=False),
    Column("period", String(20), nullable=False),
    Column("status", String(12), nullable=False),
    Column("left_count", Integer, nullable=False),
    Column("right_count", Integer, nullable=False),
    Column("matched", Integer, nullable=False),
    Column("exception_counts", Text, nullable=False),
    Column("bridge", Text, nullable=False),
    Column("opened", Integer, nullable=False),
    Column("auto_resolved", Integer, nullable=False),
    Column("reopened", Integer, nullable=False),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("finished_at", UtcDateTime()),
    Column("error", Text),
    Index("ix_reconcile_runs_rule", "rule", "id"),
)

reconcile_matches = Table(
    "reconcile_matches",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("run_id", ID, ForeignKey("reconcile_runs.id", ondelete="CASCADE"), nullable=False),
    Column("rule", String(100), nullable=False),
    Column("group_no", Integer, nullable=False),
    Column("left_document_id", ID, nullable=False),
    Column("right_document_id", ID, nullable=False),
    Column("how", String(60), nullable=False),
    Column(
        "why",
        Text,
        comment="JSON: points of each score component of a fuzzy pair (amount, date, party, reference)",
    ),
    Index("ix_reconcile_matches_rule", "rule", "left_document_id"),
)

reconcile_exceptions = Table(
    "reconcile_exceptions",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("fingerprint", String(32), nullable=False),
    Column("rule", String(100), nullable=False),
    Column("type", String(40), nullable=False),
    Column("status", String(20), nullable=False),
    Column("signature", String(32), nullable=False),
    Column("assignee", Text),
    Column("issued_on", Date),
    Column("left_docs", Text, nullable=False),
    Column("right_docs", Text, nullable=False),
    Column("left_amount", Money()),
    Column("right_amount", Money()),
    Column("difference", Money()),
    Column("currency", String(3)),
    Column("explanation", Text, nullable=False),
    Column("fields", Text, nullable=False),
    Column("resolution_kind", String(30)),
    Column("resolution_note", Text),
    Column("first_seen_at", UtcDateTime(), nullable=False),
    Column("last_seen_at", UtcDateTime(), nullable=False),
    Column("first_run_id", ID),
    Column("last_run_id", ID),
    Column("updated_at", UtcDateTime(), nullable=False),
    # the review queue's filters and sorts (store/exception_keys.py, migration 0011)
    Column("queue_party", Text, comment="customers of its documents, NFKC + casefold, one per line"),
    Column("queue_text", Text, comment="parties, document numbers, explanation, folded alike: free text"),
    Column(
        "queue_amount", Money(), nullable=False, server_default="0", comment="|difference| in base currency"
    ),
    UniqueConstraint("fingerprint", name="uq_reconcile_exceptions_fingerprint"),
    Index("ix_reconcile_exceptions_rule", "rule", "status"),
    Index(  # covering: a filter by customer or free text reads no table row (store/exception_queue.py)
        "ix_reconcile_exceptions_queue_age",
        "status",
        "first_seen_at",
        "id",
        "queue_amount",
        "queue_party",
        "queue_text",
    ),
    Index("ix_reconcile_exceptions_queue_amount", "status", "queue_amount", "id"),
    Index("ix_reconcile_exceptions_queue_assignee", "assignee", "status"),
)

reconcile_exception_events = Table(
    "reconcile_exception_events",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("exception_id", ID, ForeignKey("reconcile_exceptions.id", ondelete="CASCADE"), nullable=False),
    Column("action", String(20), nullable=False),
    Column("from_status", String(20)),
    Column("to_status", String(20), nullable=False),
    Column("actor", Text, nullable=False),
    Column("note", Text),
    Column("run_id", ID),
    Column("at", UtcDateTime(), nullable=False),
    Index("ix_reconcile_exception_events_exception", "exception_id", "id"),
)

reconcile_overrides = Table(
    "reconcile_overrides",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("rule", String(100), nullable=False),
    Column("action", String(10), nullable=False),
    Column("left_key", Text, nullable=False),
    Column("right_key", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("note", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("ended_at", UtcDateTime()),
    Column("ended_by", Text),
    Index("ix_reconcile_overrides_rule", "rule", "active"),
)
