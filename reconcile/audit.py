"""Single-source audit checks: anomalies in one document, whatever the other side says."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from reconcile.findings import Tolerances, describe, finding
from reconcile.rows import LedgerRow, money
from store.canonical import Discrepancy, DiscrepancyType, FieldDiff

_Check = Callable[[LedgerRow, Tolerances, Mapping[tuple[str, str], Any]], tuple[str, list[FieldDiff]] | None]

_OWNED_KINDS = frozenset({"sales_order", "invoice"})
"""Documents a salesperson is accountable for (payments and credit notes carry no owner)."""


def audit(
    rule: str,
    left: Sequence[LedgerRow],
    right: Sequence[LedgerRow],
    *,
    checks: Sequence[str],
    tolerances: Tolerances,
    order_dates: Mapping[tuple[str, str], Any],
) -> list[Discrepancy]:
    """Run the named checks over both sides' live documents; one finding per document and check."""
    found: list[Discrepancy] = []
    if not checks:
        return found
    suspects = [row for row in left if _suspect(row, tolerances.amount)]
    suspects_right = [row for row in right if _suspect(row, tolerances.amount)]
    for name in checks:
        check = _CHECKS[name]
        kind = DiscrepancyType(name)
        found += _run(
            rule, kind, check, suspects, tolerances=tolerances, order_dates=order_dates, is_left=True
        )
        found += _run(
            rule, kind, check, suspects_right, tolerances=tolerances, order_dates=order_dates, is_left=False
        )
    return found


def _suspect(row: LedgerRow, tol: int) -> bool:
    """A cheap filter: False means no check can fail for this row (most rows, a million times)."""
    total, subtotal, tax, lines = row.total, row.subtotal, row.tax, row.lines_total
    if total is not None:
        if total < 0 or (subtotal is not None and tax is not None and abs(total - subtotal - tax) > tol):
            return True
        if (
            lines is not None
            and abs(total - lines) > tol
            and (subtotal is None or abs(subtotal - lines) > tol)
            and (tax is None or abs(total - lines - tax) > tol)
        ):
            return True
    if (subtotal is not None and subtotal < 0) or (tax is not None and tax < 0):
        return True
    if row.lines_min is not None and row.lines_min < 0:
        return True
    if row.due_on is not None and row.issued_on is not None and row.due_on < row.issued_on:
        return True
    if row.kind == "invoice" and row.references:
        return True
    return row.kind in _OWNED_KINDS and not row.owner


def _run(
    rule: str,
    kind: DiscrepancyType,
    check: _Check,
    rows: Iterable[LedgerRow],
    *,
    tolerances: Tolerances,
    order_dates: Mapping[tuple[str, str], Any],
    is_left: bool,
) -> list[Discrepancy]:
    found = []
    for row in rows:
        if row.deleted or row.status == "void":
            continue
        outcome = check(row, tolerances, order_dates)
        if outcome is None:
            continue
        text, fields = outcome
        sides: tuple[list[LedgerRow], list[LedgerRow]] = ([row], []) if is_left else ([], [row])
        found.append(finding(rule, kind, *sides, f"{describe([row])} ({row.source}): {text}", fields=fields))
    return found


def _subtotal_plus_tax(
    row: LedgerRow, tol: Tolerances, _: Mapping[tuple[str, str], Any]
) -> tuple[str, list[FieldDiff]] | None:
    if row.total is None or row.subtotal is None or row.tax is None:
        return None
    expected = row.subtotal + row.tax
    if tol.accepts(row.total, expected):
        return None
    text = f"total {money(row.total)} is not subtotal {money(row.subtotal)} + tax {money(row.tax)}"
    return text, [FieldDiff(field="total", left=str(money(row.total)), right=str(money(expected)))]


def _sum_of_lines(
    row: LedgerRow, tol: Tolerances, _: Mapping[tuple[str, str], Any]
) -> tuple[str, list[FieldDiff]] | None:
    if row.total is None or row.lines_total is None:
        return None
    # Line amounts are net or gross depending on the vendor: either the subtotal or the total must agree.
    if tol.accepts(row.total, row.lines_total):
        return None
    if row.subtotal is not None and tol.accepts(row.subtotal, row.lines_total):
        return None
    if row.tax is not None and tol.accepts(row.total, row.lines_total + row.tax):
        return None
    text = f"total {money(row.total)} is not the sum of its lines {money(row.lines_total)}"
    return text, [FieldDiff(field="total", left=str(money(row.total)), right=str(money(row.lines_total)))]


def _negative(
    row: LedgerRow, _: Tolerances, __: Mapping[tuple[str, str], Any]
) -> tuple[str, list[FieldDiff]] | None:
    named = (("total", row.total), ("subtotal", row.subtotal), ("tax", row.tax), ("lines", row.lines_min))
    negative = [(name, value) for name, value in named if value is not None and value < 0]
    if not negative:
        return None
    text = "negative " + ", ".join(f"{name} {money(value)}" for name, value in negative)
    return text, [FieldDiff(field=name, left=str(money(value)), right=None) for name, value in negative]


def _due_before_issue(
    row: LedgerRow, _: Tolerances, __: Mapping[tuple[str, str], Any]
) -> tuple[str, list[FieldDiff]] | None:
    if row.due_on is None or row.issued_on is None or row.due_on >= row.issued_on:
        return None
    text = f"due on {row.due_on.isoformat()}, before it was issued on {row.issued_on.isoformat()}"
    return text, [FieldDiff(field="due_on", left=row.due_on.isoformat(), right=row.issued_on.isoformat())]


def _invoice_before_order(
    row: LedgerRow, _: Tolerances, order_dates: Mapping[tuple[str, str], Any]
) -> tuple[str, list[FieldDiff]] | None:
    if row.kind != "invoice" or row.issued_on is None or not row.references:
        return None
    order_id = row.references.get("sales_order")
    ordered = order_dates.get((row.source, order_id)) if order_id else None
    if not isinstance(ordered, date) or row.issued_on >= ordered:
        return None
    text = f"invoiced on {row.issued_on.isoformat()}, before its sales order ({ordered.isoformat()})"
    return text, [FieldDiff(field="issued_on", left=row.issued_on.isoformat(), right=ordered.isoformat())]


def _missing_owner(
    row: LedgerRow, _: Tolerances, __: Mapping[tuple[str, str], Any]
) -> tuple[str, list[FieldDiff]] | None:
    if row.kind not in _OWNED_KINDS or (row.owner and row.owner.strip()):
        return None
    return "no salesperson (owner) is recorded", [FieldDiff(field="owner", left=None, right=None)]


_CHECKS: dict[str, _Check] = {
    "total_not_subtotal_plus_tax": _subtotal_plus_tax,
    "total_not_sum_of_lines": _sum_of_lines,
    "negative_amount": _negative,
    "due_before_issue": _due_before_issue,
    "invoice_before_order": _invoice_before_order,
    "missing_owner": _missing_owner,
}
