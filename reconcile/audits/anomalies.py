"""Checks across documents: possible duplicates, amounts unusual for the customer, excessive credit.

Each returns (document, counterparts, text, fields) per finding: at most one finding per document.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from decimal import Decimal
from statistics import median
from typing import Final

from reconcile.audits.base import AuditContext, AuditLimits
from reconcile.rows import LedgerRow, money
from store.canonical import FieldDiff

Anomaly = tuple[LedgerRow, tuple[LedgerRow, ...], str, list[FieldDiff]]
_CUSTOMER_KINDS: Final = frozenset({"sales_order", "invoice"})
"""Payments and credit notes are left out: split payments and instalments look like duplicates."""
_MAD_SCALE: Final = Decimal("1.4826")
"""MAD x 1.4826 estimates the standard deviation of normally distributed amounts."""


def live(row: LedgerRow) -> bool:
    return not row.deleted and row.status not in ("void", "deleted")


def party_key(row: LedgerRow) -> str | None:
    """The customer: its id in the source, else its name folded (None: the customer is unknown)."""
    if row.party_id:
        return "id:" + row.party_id
    if row.party_name and row.party_name.strip():
        return "name:" + unicodedata.normalize("NFKC", row.party_name).casefold().strip()
    return None


def _number_key(number: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", number).casefold() if ch.isalnum())


def possible_duplicates(rows: Iterable[LedgerRow], limits: AuditLimits) -> list[Anomaly]:
    """Same source, kind, customer, currency and total, issued at most `days` apart, under different
    numbers. Not flagged: payments and credit notes (instalments, split payments), documents without a
    number, customer or date, and two documents that name different sales orders (separate deals)."""
    groups: dict[tuple[object, ...], list[LedgerRow]] = {}
    for row in rows:
        party = party_key(row)
        if (
            row.kind not in _CUSTOMER_KINDS
            or not live(row)
            or not row.number
            or row.issued_on is None
            or party is None
            or not row.total
        ):
            continue
        groups.setdefault((row.source, row.kind, row.currency, party, row.total), []).append(row)
    found: list[Anomaly] = []
    days = limits.duplicate_days
    for group in groups.values():
        if len(group) < 2:
            continue
        group.sort(key=lambda r: (r.issued_on, _number_key(r.number or ""), r.external_id))
        for index, row in enumerate(group[1:], start=1):
            original = next(
                (earlier for earlier in group[:index] if _lookalike(earlier, row, days)),
                None,
            )
            if original is None:
                continue
            gap = (row.issued_on - original.issued_on).days  # type: ignore[operator]
            text = (
                f"same customer and amount {money(row.total)} as {original.number} "
                f"issued {gap} day(s) earlier, under another number"
            )
            fields = [FieldDiff(field="number", left=row.number, right=original.number)]
            found.append((row, (original,), text, fields))
    return found


def _lookalike(earlier: LedgerRow, later: LedgerRow, days: int) -> bool:
    if earlier.issued_on is None or later.issued_on is None:
        return False
    if (later.issued_on - earlier.issued_on).days > days:
        return False
    if _number_key(earlier.number or "") == _number_key(later.number or ""):
        return False  # the same number twice is the `duplicate` finding of a match rule
    first = (earlier.references or {}).get("sales_order")
    second = (later.references or {}).get("sales_order")
    return not (first and second and first != second)


def unusual_amounts(rows: Sequence[LedgerRow], limits: AuditLimits, context: AuditContext) -> list[Anomaly]:
    """A total far from the customer's own history: |total - median| > factor x 1.4826 x MAD, over the
    customer's documents of the same source, kind and currency (at least `min_history` of them).
    A history without spread (MAD 0: every amount alike) says nothing about scale: never flagged."""
    history: dict[tuple[object, ...], dict[str, int]] = {}
    for row in (*context.history, *rows):
        party = party_key(row)
        if row.kind in _CUSTOMER_KINDS and live(row) and party is not None and row.total and row.total > 0:
            history.setdefault((row.source, row.kind, row.currency, party), {})[row.external_id] = row.total
    stats: dict[tuple[object, ...], tuple[Decimal, Decimal, int]] = {}
    for group, amounts in history.items():
        if len(amounts) < limits.unusual_min_history:
            continue
        values = [Decimal(v) for v in amounts.values()]
        middle = median(values)
        spread = median([abs(v - middle) for v in values])
        if spread:
            stats[group] = (middle, spread, len(values))
    found: list[Anomaly] = []
    for row in rows:
        party = party_key(row)
        group = (row.source, row.kind, row.currency, party)
        if row.kind not in _CUSTOMER_KINDS or not live(row) or not row.total or group not in stats:
            continue
        middle, spread, count = stats[group]
        if abs(row.total - middle) <= limits.unusual_factor * _MAD_SCALE * spread:
            continue
        typical = money(int(middle))
        text = (
            f"total {money(row.total)} is far outside this customer's usual amounts "
            f"(median {typical} over {count} documents)"
        )
        fields = [FieldDiff(field="total", left=str(money(row.total)), right=str(typical))]
        found.append((row, (), text, fields))
    return found


def excessive_credits(rows: Iterable[LedgerRow], limits: AuditLimits, context: AuditContext) -> list[Anomaly]:
    """A credit note that applies more to an invoice than the invoice's total, or (without allocations)
    whose own total exceeds the invoice it names; else an invoice whose credits together exceed it."""
    tol = limits.tolerances
    found: list[Anomaly] = []
    credited: dict[tuple[str, str], list[tuple[LedgerRow, int]]] = {}
    for note in rows:
        if note.kind != "credit_note" or not live(note):
            continue
        targets = [(target, amount) for target, amount, kind in note.allocations if kind == "invoice"]
        named = (note.references or {}).get("invoice")
        if not targets and named and note.total is not None:
            targets = [(named, note.total)]
        flagged = False
        for target, amount in targets:
            invoice = context.invoices.get((note.source, target))
            if invoice is None or invoice.total is None or not live(invoice):
                continue
            credited.setdefault((note.source, target), []).append((note, amount))
            if flagged or amount <= invoice.total or tol.accepts(amount, invoice.total):
                continue
            flagged = True
            text = (
                f"credits {money(amount)} to invoice {invoice.number or invoice.external_id}, "
                f"whose total is {money(invoice.total)}"
            )
            fields = [FieldDiff(field="credited", left=str(money(amount)), right=str(money(invoice.total)))]
            found.append((note, (invoice,), text, fields))
    flagged_notes = {row.external_id for row, _, _, _ in found}
    for key, notes in credited.items():
        invoice = context.invoices[key]
        applied = sum(amount for _, amount in notes)
        total = invoice.total or 0
        if len(notes) < 2 or any(n.external_id in flagged_notes for n, _ in notes):
            continue
        if applied <= total or tol.accepts(applied, total):
            continue
        text = f"credit notes apply {money(applied)} to it, more than its total {money(total)}"
        fields = [FieldDiff(field="credited", left=str(money(applied)), right=str(money(total)))]
        found.append((invoice, tuple(n for n, _ in notes), text, fields))
    return found
