"""Order-to-cash summary: ordered, invoiced, credited, collected, outstanding, overdue per group.

Pure and streaming: one pass over canonical documents, memory proportional to the number of groups
(plus, when grouping by salesperson, each invoice's owner so payments without one can follow them).
Amounts in different currencies are never added together: a group has one row per currency.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from store.canonical import CanonicalDocument, DocumentKind, Status

_ZERO = Decimal(0)
_EXCLUDED = frozenset({Status.DRAFT, Status.VOID, Status.DELETED})
MEASURES = ("ordered", "invoiced", "credited", "collected", "outstanding", "overdue")
"""What each O2CRow sums, in report order (also the report's column keys)."""


class GroupBy(StrEnum):
    """What the rows of a summary are: one per customer, per salesperson or per month of issue."""

    CUSTOMER = "customer"
    SALESPERSON = "salesperson"
    MONTH = "month"


@dataclass(frozen=True, slots=True)
class O2CRow:
    """One group in one currency. `group` is None for documents without a customer / salesperson."""

    group: str | None
    currency: str | None
    ordered: Decimal = _ZERO
    invoiced: Decimal = _ZERO
    credited: Decimal = _ZERO
    collected: Decimal = _ZERO
    outstanding: Decimal = _ZERO
    overdue: Decimal = _ZERO

    @property
    def measures(self) -> tuple[Decimal, ...]:
        return tuple(getattr(self, name) for name in MEASURES)


@dataclass(frozen=True, slots=True)
class O2CSummary:
    """The rows, sorted by group then currency, and one total row per currency."""

    by: GroupBy
    as_of: date
    rows: tuple[O2CRow, ...]
    totals: tuple[O2CRow, ...]


@dataclass
class _Accumulator:
    by: GroupBy
    as_of: date
    sums: dict[tuple[str | None, str | None], dict[str, Decimal]] = field(default_factory=dict)
    invoice_owner: dict[tuple[str, str], str] = field(default_factory=dict)

    def add_to(self, group: str | None, currency: str | None, measure: str, amount: Decimal) -> None:
        amounts = self.sums.setdefault((group, currency), dict.fromkeys(MEASURES, _ZERO))
        amounts[measure] += amount

    def add(self, doc: CanonicalDocument) -> None:
        total = doc.total or _ZERO
        if doc.kind is DocumentKind.SALES_ORDER:
            self.add_to(self._group(doc), doc.currency, "ordered", total)
        elif doc.kind is DocumentKind.INVOICE:
            self._add_invoice(doc, total)
        elif doc.kind is DocumentKind.CREDIT_NOTE:
            self.add_to(self._group(doc), doc.currency, "credited", total)
        elif doc.kind is DocumentKind.PAYMENT:
            self._add_payment(doc, total)

    def _add_invoice(self, doc: CanonicalDocument, total: Decimal) -> None:
        if self.by is GroupBy.SALESPERSON and doc.owner:
            self.invoice_owner[(doc.source, doc.external_id)] = doc.owner
        group = self._group(doc)
        balance = open_balance(doc)
        self.add_to(group, doc.currency, "invoiced", total)
        self.add_to(group, doc.currency, "outstanding", balance)
        if balance > 0 and days_overdue(doc, self.as_of) > 0:
            self.add_to(group, doc.currency, "overdue", balance)

    def _add_payment(self, doc: CanonicalDocument, total: Decimal) -> None:
        if self.by is not GroupBy.SALESPERSON or doc.owner:
            self.add_to(self._group(doc), doc.currency, "collected", total)
            return
        # A payment without a salesperson follows the owners of the invoices it pays.
        rest = total
        for allocation in doc.allocations:
            owner = self.invoice_owner.get((doc.source, allocation.invoice_external_id))
            if owner is not None:
                self.add_to(owner, doc.currency, "collected", allocation.amount)
                rest -= allocation.amount
        if rest:
            self.add_to(None, doc.currency, "collected", rest)

    def _group(self, doc: CanonicalDocument) -> str | None:
        if self.by is GroupBy.CUSTOMER:
            return party_label(doc)
        if self.by is GroupBy.SALESPERSON:
            return doc.owner or None
        return None if doc.issued_on is None else f"{doc.issued_on:%Y-%m}"


def party_label(doc: CanonicalDocument) -> str | None:
    """The customer as a report shows it: the name, else the id; None when the document has neither."""
    if doc.party is None:
        return None
    return doc.party.name or doc.party.external_id


def counts_in_books(doc: CanonicalDocument) -> bool:
    """Drafts, voided and deleted documents are not business yet (or any more): they are left out."""
    return not doc.deleted and doc.status not in _EXCLUDED and doc.kind.is_ledger_document


def open_balance(invoice: CanonicalDocument) -> Decimal:
    """What is still owed on an invoice: its balance; without one, nothing if paid, else the total.

    An invoice of unknown status (an Fxiaoke invoice application: the source keeps no settlement
    status) is never taken as paid; reconcile derives its status from the order's collections
    (reconcile/status.py), which this streaming summary does not read (ADR 0017)."""
    if invoice.balance is not None:
        return invoice.balance
    if invoice.status is Status.PAID:
        return _ZERO
    return invoice.total or _ZERO


def days_overdue(invoice: CanonicalDocument, as_of: date) -> int:
    """Days past the due date on `as_of` (0 or less: not yet due). No due date: due on issue."""
    due = invoice.due_on or invoice.issued_on
    return 0 if due is None else (as_of - due).days


def issued_between(doc: CanonicalDocument, start: date | None, end: date | None) -> bool:
    """True when the document was issued in [start, end]; no bounds = every document."""
    if start is None and end is None:
        return True
    day = doc.issued_on
    return day is not None and (start is None or day >= start) and (end is None or day <= end)


def o2c_summary(
    documents: Iterable[CanonicalDocument],
    *,
    by: GroupBy,
    as_of: date,
    start: date | None = None,
    end: date | None = None,
) -> O2CSummary:
    """Summarize documents (already chosen: the orders, invoices, credit notes and payments of the
    sources of record) issued between `start` and `end` inclusive. Overdue is judged on `as_of`.
    For the salesperson grouping, feed invoices before payments so payments can follow them."""
    accumulator = _Accumulator(by=by, as_of=as_of)
    for doc in documents:
        if counts_in_books(doc) and issued_between(doc, start, end):
            accumulator.add(doc)
    rows = [O2CRow(group, currency, **sums) for (group, currency), sums in accumulator.sums.items()]
    rows.sort(key=lambda row: (row.group is None, row.group or "", row.currency or ""))
    totals: dict[str | None, dict[str, Decimal]] = {}
    for (_, currency), sums in accumulator.sums.items():
        running = totals.setdefault(currency, dict.fromkeys(MEASURES, _ZERO))
        for measure, amount in sums.items():
            running[measure] += amount
    total_rows = [
        O2CRow(None, currency, **sums) for currency, sums in sorted(totals.items(), key=_currency_order)
    ]
    return O2CSummary(by=by, as_of=as_of, rows=tuple(rows), totals=tuple(total_rows))


def _currency_order(item: tuple[str | None, object]) -> str:
    return item[0] or ""
