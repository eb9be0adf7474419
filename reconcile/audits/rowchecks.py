"""Checks of one document on its own: arithmetic identities, dates, owner, discount limit.

A check returns None (nothing to say), a finding's (text, fields), or `Skip(reason)` when a figure it
needs is unknown: it never guesses a missing component. `triage(row)` is the cheap filter that lets
a million rows through without calling any check: None when a check may fire, else the skips the
checks would report (none for a clean row). `suspect(row)` is False when there are neither.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Final

from reconcile.audits.base import AuditContext, AuditLimits, Outcome, RowCheck, Skip
from reconcile.facts import LINES_SHOULD_BE, TAX_INCLUDED
from reconcile.findings import Tolerances
from store.discrepancies import FieldDiff
from store.ledger_rows import LedgerRow, money

OWNED_KINDS: Final = frozenset({"sales_order", "invoice"})
"""Documents a salesperson is accountable for (payments and credit notes carry no owner)."""
_COMPONENTS: Final = ("discount", "shipping", "adjustment", "rounding")


def expected_total(row: LedgerRow) -> int | Skip | None:
    """subtotal - discount + shipping + adjustment + rounding (+ tax when exclusive); None when the
    document has no subtotal or total (nothing to check); Skip naming the first unknown component."""
    if row.total is None or row.subtotal is None:
        return None
    discount, shipping, adjustment, rounding = row.discount, row.shipping, row.adjustment, row.rounding
    if discount is None:
        return Skip("discount_unknown")
    if shipping is None:
        return Skip("shipping_unknown")
    if adjustment is None:
        return Skip("adjustment_unknown")
    if rounding is None:
        return Skip("rounding_unknown")
    if row.tax_inclusive is None:
        return Skip("tax_inclusive_unknown")
    tax = 0
    if not row.tax_inclusive:
        if row.tax is None:
            return Skip("tax_unknown")
        tax = row.tax
    return row.subtotal - discount + shipping + adjustment + rounding + tax


def _lines_expected(row: LedgerRow) -> int | Skip | None:
    """What the lines (net of line discounts) must add up to: the subtotal (tax inside it when the
    pricing is tax-inclusive); without a subtotal, the total taken back through the identity."""
    if row.subtotal is not None:
        return row.subtotal
    if row.total is None:
        return None
    components = [row.discount, row.shipping, row.adjustment, row.rounding]
    if any(value is None for value in components) or row.tax_inclusive is None:
        return Skip("subtotal_unknown")
    discount, shipping, adjustment, rounding = (value or 0 for value in components)
    if row.tax_inclusive is False:
        if row.tax is None:
            return Skip("subtotal_unknown")
        return row.total + discount - shipping - adjustment - rounding - row.tax
    return row.total + discount - shipping - adjustment - rounding


Skips = tuple[tuple[str, str], ...]
"""(check, reason) per check a document skips, in ROW_CHECKS order."""
_CLEAN: Final[Skips] = ()
_DISCOUNT_UNKNOWN: Final = ("discount_above_limit", "discount_unknown")


def triage(row: LedgerRow, limits: AuditLimits) -> Skips | None:
    """The cheap filter that lets a million rows through without calling a check. None: some document
    check may fire on this row (run them). Otherwise no check can fire, and these are the skips the
    checks would report: () for a clean row, and for a row whose only trouble is an unknown total
    component, the reasons looked up here (the identity's first unknown component, an unknown
    discount) instead of running every check to count them. Same outcome as running the checks:
    tests/unit/reconcile/test_audit_fastpath.py compares the two on any row."""
    tol = limits.tolerances
    if _may_fire(row, tol):
        return None
    identity: str | None = None
    if row.total is not None and row.subtotal is not None:
        expected = expected_total(row)
        if isinstance(expected, Skip):
            identity = expected.reason
        elif expected is not None and not tol.accepts(row.total, expected):
            return None
    discount_unknown = row.kind in OWNED_KINDS and row.discount is None
    if identity is None:
        return (_DISCOUNT_UNKNOWN,) if discount_unknown else _CLEAN
    skips = ("total_not_subtotal_plus_tax", identity)
    return (skips, _DISCOUNT_UNKNOWN) if discount_unknown else (skips,)


def _may_fire(row: LedgerRow, tol: Tolerances) -> bool:
    """Whether a check other than the total identity may fire (or, for the sum of lines, needs the
    components): a negative figure, lines that do not add up to a known subtotal, due before issue,
    no owner, a discount (its limit), an invoice naming its order (the order's date)."""
    total, subtotal, tax, lines = row.total, row.subtotal, row.tax, row.lines_total
    if (total is not None and total < 0) or (subtotal is not None and subtotal < 0):
        return True
    if (tax is not None and tax < 0) or (row.lines_min is not None and row.lines_min < 0):
        return True
    if total is not None and lines is not None and (subtotal is None or not tol.accepts(subtotal, lines)):
        return True
    if row.due_on is not None and row.issued_on is not None and row.due_on < row.issued_on:
        return True
    if row.kind in OWNED_KINDS:
        if not (row.owner and row.owner.strip()):
            return True
        if row.discount is not None and row.discount > 0:
            return True
    return row.kind == "invoice" and bool(row.references)


def suspect(row: LedgerRow, limits: AuditLimits) -> bool:
    """False means no document check can fire or skip for this row (most rows)."""
    return triage(row, limits) != _CLEAN


def _identity(row: LedgerRow, limits: AuditLimits, _: AuditContext) -> Outcome:
    expected = expected_total(row)
    if expected is None or isinstance(expected, Skip):
        return expected
    total, subtotal = row.total or 0, row.subtotal or 0
    if limits.tolerances.accepts(total, expected):
        return None
    parts = [f"subtotal {money(subtotal)}"]
    for name in _COMPONENTS:
        value = getattr(row, name) or 0
        if value:
            sign = "-" if (name == "discount") == (value > 0) else "+"
            parts.append(f"{sign} {name} {money(abs(value))}")
    if row.tax_inclusive:
        parts.append(f"(tax {money(row.tax)} included)" if row.tax is not None else "(tax included)")
    else:
        parts.append(f"+ tax {money(row.tax)}")
    text = f"total {money(total)} is not {' '.join(parts)} = {money(expected)}"
    fields = [
        FieldDiff(field="total", left=str(money(total)), right=str(money(expected))),
        FieldDiff(field="subtotal", left=str(money(subtotal)), right=None),
    ]
    fields += [
        FieldDiff(field=name, left=str(money(value)), right=None)
        for name in _COMPONENTS
        if (value := getattr(row, name))
    ]
    if row.tax is not None:
        fields.append(FieldDiff(field="tax", left=str(money(row.tax)), right=None))
    fields.append(FieldDiff(field=TAX_INCLUDED, left=None, right="yes" if row.tax_inclusive else "no"))
    return text, fields


def _sum_of_lines(row: LedgerRow, limits: AuditLimits, _: AuditContext) -> Outcome:
    if row.total is None or row.lines_total is None:
        return None
    tol, lines, total = limits.tolerances, row.lines_total, row.total
    expected = _lines_expected(row)
    if expected is None:
        return None
    if isinstance(expected, Skip):
        # No subtotal and an unknown component: only the old, plain readings can clear it.
        if tol.accepts(total, lines) or (row.tax is not None and tol.accepts(total, lines + row.tax)):
            return None
        return expected
    if tol.accepts(expected, lines):
        return None
    basis = "subtotal" if row.subtotal is not None else "total less its other components"
    text = (
        f"total {money(total)} is not the sum of its lines {money(lines)} "
        f"(the lines should add up to the {basis}, {money(expected)})"
    )
    return text, [
        FieldDiff(field="total", left=str(money(total)), right=str(money(lines))),
        FieldDiff(
            field=LINES_SHOULD_BE,
            left=str(money(expected)),
            right="subtotal" if row.subtotal is not None else "derived",
        ),
    ]


def _negative(row: LedgerRow, _: AuditLimits, __: AuditContext) -> Outcome:
    named = (("total", row.total), ("subtotal", row.subtotal), ("tax", row.tax), ("lines", row.lines_min))
    negative = [(name, value) for name, value in named if value is not None and value < 0]
    if not negative:
        return None
    text = "negative " + ", ".join(f"{name} {money(value)}" for name, value in negative)
    return text, [FieldDiff(field=name, left=str(money(value)), right=None) for name, value in negative]


def _due_before_issue(row: LedgerRow, _: AuditLimits, __: AuditContext) -> Outcome:
    if row.due_on is None or row.issued_on is None or row.due_on >= row.issued_on:
        return None
    text = f"due on {row.due_on.isoformat()}, before it was issued on {row.issued_on.isoformat()}"
    return text, [FieldDiff(field="due_on", left=row.due_on.isoformat(), right=row.issued_on.isoformat())]


def _invoice_before_order(row: LedgerRow, _: AuditLimits, context: AuditContext) -> Outcome:
    if row.kind != "invoice" or row.issued_on is None or not row.references:
        return None
    order_id = row.references.get("sales_order")
    ordered = context.order_dates.get((row.source, order_id)) if order_id else None
    if not isinstance(ordered, date) or row.issued_on >= ordered:
        return None
    text = f"invoiced on {row.issued_on.isoformat()}, before its sales order ({ordered.isoformat()})"
    return text, [FieldDiff(field="issued_on", left=row.issued_on.isoformat(), right=ordered.isoformat())]


def _missing_owner(row: LedgerRow, _: AuditLimits, __: AuditContext) -> Outcome:
    if row.kind not in OWNED_KINDS or (row.owner and row.owner.strip()):
        return None
    return "no salesperson (owner) is recorded", [FieldDiff(field="owner", left=None, right=None)]


def _discount_above_limit(row: LedgerRow, limits: AuditLimits, _: AuditContext) -> Outcome:
    if row.kind not in OWNED_KINDS:
        return None
    discount, subtotal = row.discount, row.subtotal
    if discount is None:
        return Skip("discount_unknown")
    if discount <= 0:
        return None
    if subtotal is None or subtotal <= 0:
        return Skip("subtotal_unknown")
    if discount * 100 <= limits.discount_percent * subtotal:
        return None
    percent = (Decimal(discount) * 100 / subtotal).quantize(Decimal("0.1"))
    limit = format(limits.discount_percent.normalize(), "f")
    text = (
        f"discount {money(discount)} is {percent}% of the subtotal {money(subtotal)}, "
        f"above the {limit}% limit"
    )
    return text, [
        FieldDiff(field="discount", left=str(money(discount)), right=str(money(subtotal))),
        FieldDiff(field="discount_percent", left=str(percent), right=str(limit)),
    ]


ROW_CHECKS: Final[dict[str, RowCheck]] = {
    "total_not_subtotal_plus_tax": _identity,
    "total_not_sum_of_lines": _sum_of_lines,
    "negative_amount": _negative,
    "due_before_issue": _due_before_issue,
    "invoice_before_order": _invoice_before_order,
    "missing_owner": _missing_owner,
    "discount_above_limit": _discount_above_limit,
}
