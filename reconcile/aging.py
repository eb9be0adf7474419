"""Accounts-receivable ageing: open invoice balances in buckets of days overdue, per customer.

Buckets: current (not yet due), 1–30, 31–60, 61–90 and more than 90 days past the due date on the
as-of date. Pure and streaming: memory grows with the number of groups (and customers' spellings),
never with the invoices. An invoice whose settlement cannot be known (an Fxiaoke invoice application
whose order's collections are unknown) is in no bucket: it is counted under *settlement unknown*.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final

from reconcile.o2c import (
    BaseConverter,
    BaseTotal,
    GroupBy,
    GroupKey,
    counts_in_books,
    days_overdue,
    fold_groups,
    settled_balance,
)
from reconcile.order_settlement import NO_SETTLEMENTS, Settlements
from reconcile.party_groups import PartyFolder
from store.canonical import CanonicalDocument, DocumentKind

BUCKETS: Final = ("current", "days_1_30", "days_31_60", "days_61_90", "days_over_90")
"""Bucket names, in order (also the report's column keys)."""
UNKNOWN: Final = "settlement_unknown"
"""Invoiced amounts whose settlement cannot be known: in no bucket and not in the total."""
_ZERO = Decimal(0)


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
    settlement_unknown: Decimal = _ZERO
    """Invoice totals of unknown settlement (not in a bucket, not in `total`)."""
    variants: tuple[str, ...] = ()
    """The customer spellings folded into this row's group (customer grouping only)."""

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
    base: BaseTotal | None = None
    """The buckets then settlement unknown in the base currency (None without a base currency)."""
    unsettled: int = 0
    """How many invoices are of unknown settlement."""


_COLUMNS: Final = (*BUCKETS, UNKNOWN)


def aging_summary(
    invoices: Iterable[CanonicalDocument],
    *,
    as_of: date,
    by: GroupBy = GroupBy.CUSTOMER,
    settlements: Settlements = NO_SETTLEMENTS,
    base_currency: str | None = None,
) -> AgingSummary:
    """Age what is owed on every invoice (other kinds are ignored) on the `as_of` date; `settlements`
    settles invoices of unknown status from their orders' collections (reconcile/order_settlement.py)."""
    if by is GroupBy.MONTH:
        raise ValueError("ageing groups by customer or salesperson, not by month")
    parties = PartyFolder()
    base = None if base_currency is None else BaseConverter(base_currency, _COLUMNS)
    sums: dict[tuple[GroupKey, str | None], dict[str, Decimal]] = {}
    unsettled = 0
    for doc in invoices:
        if doc.kind is not DocumentKind.INVOICE or not counts_in_books(doc):
            continue
        balance = settled_balance(doc, settlements)
        if balance is not None and balance <= 0:
            continue
        group = parties.node(doc) if by is GroupBy.CUSTOMER else (doc.owner or None)
        amounts = sums.setdefault((group, doc.currency), dict.fromkeys(_COLUMNS, _ZERO))
        column = UNKNOWN if balance is None else bucket_of(days_overdue(doc, as_of))
        amount = (doc.total or _ZERO) if balance is None else balance
        unsettled += balance is None
        amounts[column] += amount
        if base is not None:
            base.add(doc, column, amount)
    merged = fold_groups(sums, parties.groups(), _COLUMNS)
    rows = sorted(
        (
            _row(group, currency, amounts, variants)
            for (group, currency), (amounts, variants) in merged.items()
        ),
        key=lambda row: (row.group is None, row.group or "", row.currency or ""),
    )
    totals: dict[str | None, dict[str, Decimal]] = {}
    for (_, currency), amounts in sums.items():
        running = totals.setdefault(currency, dict.fromkeys(_COLUMNS, _ZERO))
        for name, amount in amounts.items():
            running[name] += amount
    total_rows = tuple(
        _row(None, currency, amounts, ())
        for currency, amounts in sorted(totals.items(), key=lambda item: item[0] or "")
    )
    return AgingSummary(
        by=by,
        as_of=as_of,
        rows=tuple(rows),
        totals=total_rows,
        base=None if base is None else base.total(_COLUMNS),
        unsettled=unsettled,
    )


def _row(
    group: str | None, currency: str | None, amounts: dict[str, Decimal], variants: tuple[str, ...]
) -> AgingRow:
    return AgingRow(
        group=group,
        currency=currency,
        buckets=tuple(amounts[name] for name in BUCKETS),
        settlement_unknown=amounts[UNKNOWN],
        variants=variants,
    )
