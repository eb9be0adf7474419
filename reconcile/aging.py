"""Accounts-receivable ageing: open invoice balances in buckets of days overdue, per customer.

Buckets: current (not yet due), 1–30, 31–60, 61–90 and more than 90 days past the due date on the
as-of date. Pure and streaming: memory grows with the number of groups, never with the invoices.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final

from reconcile.o2c import GroupBy, counts_in_books, days_overdue, open_balance, party_label
from store.canonical import CanonicalDocument, DocumentKind

BUCKETS: Final = ("current", "days_1_30", "days_31_60", "days_61_90", "days_over_90")
"""Bucket names, in order (also the report's column keys)."""


def bucket_of(days: int) -> str:
    """The bucket of an invoice `days` past due (0 or less: current)."""
    if days <= 0:
        return "current"
    if days <= 30:
        return "days_1_30"
    if days <= 60:
        return "days_31_60"
    if days <= 90:
        return "days_61_90"
    return "days_over_90"


@dataclass(frozen=True, slots=True)
class AgingRow:
    """Open balances of one group in one currency, by bucket; `group` None = no customer/salesperson."""

    group: str | None
    currency: str | None
    buckets: tuple[Decimal, ...]
    """Amounts in the order of BUCKETS."""

    @property
    def total(self) -> Decimal:
        return sum(self.buckets, Decimal(0))


@dataclass(frozen=True, slots=True)
class AgingSummary:
    by: GroupBy
    as_of: date
    rows: tuple[AgingRow, ...]
    totals: tuple[AgingRow, ...]
    """One total row per currency."""


def aging_summary(
    invoices: Iterable[CanonicalDocument], *, as_of: date, by: GroupBy = GroupBy.CUSTOMER
) -> AgingSummary:
    """Age the open balance of every invoice (other kinds are ignored) on the `as_of` date."""
    if by is GroupBy.MONTH:
        raise ValueError("ageing groups by customer or salesperson, not by month")
    sums: dict[tuple[str | None, str | None], list[Decimal]] = {}
    for doc in invoices:
        if doc.kind is not DocumentKind.INVOICE or not counts_in_books(doc):
            continue
        balance = open_balance(doc)
        if balance <= 0:
            continue
        group = party_label(doc) if by is GroupBy.CUSTOMER else (doc.owner or None)
        amounts = sums.setdefault((group, doc.currency), [Decimal(0)] * len(BUCKETS))
        amounts[BUCKETS.index(bucket_of(days_overdue(doc, as_of)))] += balance
    rows = sorted(
        (AgingRow(group=g, currency=c, buckets=tuple(a)) for (g, c), a in sums.items()),
        key=lambda row: (row.group is None, row.group or "", row.currency or ""),
    )
    totals: dict[str | None, list[Decimal]] = {}
    for row in rows:
        running = totals.setdefault(row.currency, [Decimal(0)] * len(BUCKETS))
        for index, amount in enumerate(row.buckets):
            running[index] += amount
    total_rows = tuple(
        AgingRow(group=None, currency=currency, buckets=tuple(amounts))
        for currency, amounts in sorted(totals.items(), key=lambda item: item[0] or "")
    )
    return AgingSummary(by=by, as_of=as_of, rows=tuple(rows), totals=total_rows)
