"""The party aliases table: names finance declared to be the same customer, for one rule or every rule
(ADR 0029). Rows are never deleted: removing an alias ends it (active false, who and when)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, String, Table, Text

from store.schema import UtcDateTime, metadata
from store.tables import ID

party_aliases = Table(
    "party_aliases",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("rule", String(100), comment="NULL = every rule"),
    Column("name_a", Text, nullable=False),
    Column("name_b", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("note", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("ended_at", UtcDateTime()),
    Column("ended_by", Text),
    Index("ix_party_aliases_active", "active", "rule"),
)
