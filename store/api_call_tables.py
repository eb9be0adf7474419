"""API calls counted per connector per calendar month (UTC): what a vendor's monthly allowance meters
(QuickBooks' CorePlus reads, api-notes quickbooks-xero-bank.md §1.6), for every connector alike."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, String, Table

from store.schema import UtcDateTime, metadata

api_calls = Table(
    "api_calls",
    metadata,
    Column("connector", String(100), primary_key=True),
    Column("month", String(7), primary_key=True, comment="YYYY-MM, UTC"),
    Column("calls", BigInteger, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)
