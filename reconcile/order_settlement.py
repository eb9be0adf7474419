"""What is still owed on invoices that keep no settlement of their own, from their orders' collections.

An Fxiaoke invoice application (开票申请) has no balance and no payment status: money is collected
against the sales order (ADR 0006). Order-to-cash and ageing read the same derivation as
reconciliation (reconcile/status.py, ADR 0017) and then put amounts on it (ADR 0022):

- the order's status is derived by `derive_statuses`: `paid` -> every invoice of the order is settled
  (nothing owed); unknown -> nothing is said about its invoices (the reports show them as *settlement
  unknown*, never as paid and never silently as owed);
- `open` -> the order's collections (live, non-void payments of the same source allocated to it) are
  applied to its invoices oldest first; what an invoice is not covered by is owed;
- collections beyond everything invoiced on the order are *collected ahead of invoicing*, attributed
  to the latest payments of the order (earlier money settles invoices first).

A source whose payments' allocations are unknown (a tenant without OrderPaymentObj) settles nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from reconcile.findings import Tolerances
from reconcile.status import ORDER_REFERENCE, derive_statuses
from store.canonical import STATUS_CLASS, CanonicalDocument, DocumentKind, Status
from store.ledger_rows import LedgerRow, money

Key = tuple[str, str]
"""(source, external id)."""
_INVOICE = DocumentKind.INVOICE.value
_ORDER = DocumentKind.SALES_ORDER.value
_PAYMENT = DocumentKind.PAYMENT.value
_UNKNOWN = Status.UNKNOWN.value


@dataclass(frozen=True)
class Settlements:
    """Owed amounts of invoices of unknown status, and collections ahead of invoicing per payment."""

    balances: Mapping[Key, Decimal | None]
    """(source, invoice id) -> what is owed; None = it cannot be known (settlement unknown)."""
    ahead: Mapping[Key, Decimal]
    """(source, payment id) -> the part of the payment beyond what its orders were invoiced."""

    def balance_of(self, invoice: CanonicalDocument) -> Decimal | None:
        """What is owed on an invoice of unknown status; None when its settlement cannot be known."""
        return self.balances.get((invoice.source, invoice.external_id))

    def ahead_of(self, payment: CanonicalDocument) -> Decimal:
        return self.ahead.get((payment.source, payment.external_id), Decimal(0))


NO_SETTLEMENTS = Settlements(balances={}, ahead={})
"""Nothing derived: every invoice of unknown status is of unknown settlement."""


def settle_by_orders(
    orders: Iterable[LedgerRow],
    invoices: Iterable[LedgerRow],
    payments: Iterable[LedgerRow],
    *,
    tolerances: Tolerances,
    allocations_unknown: Collection[str] = (),
) -> Settlements:
    """Settlements from the orders, invoices and payments (with allocations) of the sources whose
    invoices keep no status; `allocations_unknown` names sources whose payments' targets are unknown."""
    orders = list(orders)
    order_of = {(o.source, o.external_id): o for o in orders if o.kind == _ORDER}
    on_order: dict[Key, list[LedgerRow]] = {}
    for invoice in invoices:
        order = _order_ref(invoice)
        if order is not None and _counts(invoice):
            on_order.setdefault((invoice.source, order), []).append(invoice)
    for listed in on_order.values():
        listed.sort(key=_oldest_first)
    paying = sorted((p for p in payments if _collects(p)), key=_oldest_first)
    collected: dict[Key, int] = {}
    for payment in paying:
        for target, amount, _ in _order_allocations(payment):
            collected[(payment.source, target)] = collected.get((payment.source, target), 0) + amount
    status = _order_statuses(on_order, orders, paying, tolerances, allocations_unknown)
    balances: dict[Key, Decimal | None] = {}
    for key, listed in on_order.items():
        owed_each = _owed(listed, status.get(key), order_of.get(key), collected.get(key, 0))
        for invoice, owed in zip(listed, owed_each, strict=True):
            if invoice.status == _UNKNOWN:
                balances[(invoice.source, invoice.external_id)] = owed
    return Settlements(balances=balances, ahead=_ahead(paying, on_order, balances, allocations_unknown))


def _order_statuses(
    on_order: Mapping[Key, Sequence[LedgerRow]],
    orders: Sequence[LedgerRow],
    payments: Sequence[LedgerRow],
    tolerances: Tolerances,
    allocations_unknown: Collection[str],
) -> dict[Key, str]:
    """(source, order) -> `paid` / `open` as reconcile/status.py derives it for the order's unknown
    invoices; absent when it cannot be known."""
    unknown = [
        invoice
        for listed in on_order.values()
        for invoice in listed
        if invoice.status == _UNKNOWN and invoice.source not in allocations_unknown
    ]
    found: dict[Key, str] = {}
    for row in derive_statuses(unknown, orders, payments, tolerances):
        order = _order_ref(row)
        if row.status != _UNKNOWN and order is not None:
            found[(row.source, order)] = row.status
    return found


def _owed(
    invoices: Sequence[LedgerRow], status: str | None, order: LedgerRow | None, collected: int
) -> list[Decimal | None]:
    """What is owed on each invoice of one order (oldest first), its collections applied in that order."""
    if status is None or order is None:
        return [None] * len(invoices)
    if status == Status.PAID.value:
        return [Decimal(0)] * len(invoices)
    left = collected
    owed: list[Decimal | None] = []
    for invoice in invoices:
        if invoice.total is None or invoice.currency != order.currency:
            owed.append(None)  # the collections are in the order's currency: not comparable
            continue
        applied = max(0, min(invoice.total, left))
        left -= applied
        owed.append(_decimal(invoice.total - applied))
    return owed


def _ahead(
    payments: Sequence[LedgerRow],
    on_order: Mapping[Key, Sequence[LedgerRow]],
    balances: Mapping[Key, Decimal | None],
    allocations_unknown: Collection[str],
) -> dict[Key, Decimal]:
    """Per payment, what it paid on orders beyond their invoicing (earlier payments settle first). An
    order with an invoice of unknown settlement or in another currency says nothing about this."""
    room: dict[Key, int | None] = {}
    ahead: dict[Key, int] = {}
    for payment in payments:
        if payment.source in allocations_unknown:
            continue
        for target, amount, _ in _order_allocations(payment):
            key = (payment.source, target)
            if key not in room:
                room[key] = _invoiced(on_order.get(key, ()), payment.currency, balances)
            left = room[key]
            if left is None:
                continue
            used = max(0, min(amount, left))
            room[key] = left - used
            if amount > used:
                ahead[(payment.source, payment.external_id)] = (
                    ahead.get((payment.source, payment.external_id), 0) + amount - used
                )
    return {key: _decimal(amount) for key, amount in ahead.items()}


def _invoiced(
    invoices: Sequence[LedgerRow], currency: str | None, balances: Mapping[Key, Decimal | None]
) -> int | None:
    """What an order was invoiced in `currency`; None when it cannot be told."""
    total = 0
    for invoice in invoices:
        if invoice.total is None or invoice.currency != currency:
            return None
        if invoice.status == _UNKNOWN and balances.get((invoice.source, invoice.external_id)) is None:
            return None
        total += invoice.total
    return total


def _order_ref(row: LedgerRow) -> str | None:
    return (row.references or {}).get(ORDER_REFERENCE) or None


def _counts(invoice: LedgerRow) -> bool:
    """A live invoice that is business: not a draft, void or deleted (as order-to-cash counts them)."""
    return (
        invoice.kind == _INVOICE
        and not invoice.deleted
        and STATUS_CLASS.get(invoice.status) not in ("draft", "void")
    )


def _collects(payment: LedgerRow) -> bool:
    """Money received: a live, non-void payment (one under review counts, as in reconcile/status.py)."""
    return payment.kind == _PAYMENT and not payment.deleted and STATUS_CLASS.get(payment.status) != "void"


def _order_allocations(payment: LedgerRow) -> Iterable[tuple[str, int, str]]:
    return (allocation for allocation in payment.allocations if allocation[2] == _ORDER)


def _oldest_first(row: LedgerRow) -> tuple[date, str, str]:
    return (row.issued_on or date.max, row.number or "", row.external_id)


def _decimal(amount: int) -> Decimal:
    """Minor units -> the amount as reports show it (two places when that is exact)."""
    return money(amount) or Decimal(0)
