"""Deriving a settlement status a source does not keep: an invoice of unknown status from its order.

An Fxiaoke invoice application (开票申请) has no payment status of its own; money is collected against
the sales order (OrderPaymentObj rows of a 回款). Its status is derived at reconcile time: `paid` when
the live, non-void payments of the same source allocated to its order (`references.sales_order`) add
up to the order's total within the rule's amount tolerance, `open` otherwise. Where that cannot be
known — no order reference, the order not in the ledger, deleted or void, without a total, or paid in
another currency than the order's — the status stays `unknown`, which is never compared (ADR 0017).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Final

from reconcile.findings import Tolerances
from store.canonical import STATUS_CLASS, DocumentKind, Status
from store.ledger_rows import LedgerRow

ORDER_REFERENCE: Final = "sales_order"
"""The reference an invoice names its sales order by (every connector uses this name)."""
_UNKNOWN: Final = Status.UNKNOWN.value
_ORDER: Final = DocumentKind.SALES_ORDER.value
_PAYMENT: Final = DocumentKind.PAYMENT.value


def orders_to_look_up(rows: Iterable[LedgerRow]) -> dict[str, set[str]]:
    """source -> the sales orders whose collections decide the status of the rows' unknown invoices."""
    wanted: dict[str, set[str]] = {}
    for row in rows:
        order = _order_of(row)
        if order is not None:
            wanted.setdefault(row.source, set()).add(order)
    return wanted


def derive_statuses(
    rows: Sequence[LedgerRow],
    orders: Iterable[LedgerRow],
    payments: Iterable[LedgerRow],
    tolerances: Tolerances,
) -> list[LedgerRow]:
    """The rows, each live invoice of unknown status given `paid` or `open` from its order's collections.

    `orders` are sales orders and `payments` payments (of any status; deleted, void ones are left out
    here), each of the invoice's own source. Every other row is returned as it is."""
    by_key = {(o.source, o.external_id): o for o in orders if o.kind == _ORDER}
    collections = _collections(payments)
    derived: list[LedgerRow] = []
    for row in rows:
        order_id = _order_of(row)
        status = None
        if order_id is not None:
            order = by_key.get((row.source, order_id))
            status = _order_status(order, collections.get((row.source, order_id), ()), tolerances)
        derived.append(row if status is None else row._replace(status=status))
    return derived


def _order_of(row: LedgerRow) -> str | None:
    """The order deciding a row's status: only for live invoices of unknown status that name one."""
    if row.kind != DocumentKind.INVOICE.value or row.status != _UNKNOWN or row.deleted:
        return None
    return (row.references or {}).get(ORDER_REFERENCE) or None


def _collections(payments: Iterable[LedgerRow]) -> Mapping[tuple[str, str], list[tuple[str | None, int]]]:
    """(source, order id) -> (currency, amount) of every allocation of a live, non-void payment."""
    found: dict[tuple[str, str], list[tuple[str | None, int]]] = {}
    for payment in payments:
        if payment.kind != _PAYMENT or payment.deleted or STATUS_CLASS.get(payment.status) == "void":
            continue
        for target, amount, target_kind in payment.allocations:
            if target_kind == _ORDER:
                found.setdefault((payment.source, target), []).append((payment.currency, amount))
    return found


def _order_status(
    order: LedgerRow | None, collected: Sequence[tuple[str | None, int]], tolerances: Tolerances
) -> str | None:
    """`paid` when the order is fully collected, `open` when not, None when that cannot be known."""
    if order is None or order.deleted or order.total is None or STATUS_CLASS.get(order.status) == "void":
        return None
    if any(currency != order.currency for currency, _ in collected):
        return None  # amounts of two currencies are not added up here
    amount = sum(value for _, value in collected)
    if amount >= order.total or tolerances.accepts(amount, order.total):
        return Status.PAID.value
    return Status.OPEN.value
