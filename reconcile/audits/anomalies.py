"""Checks across documents: possible duplicates, amounts unusual for the customer, excessive credit.

Each returns (document, counterparts, text, fields) per finding: at most one finding per document.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from decimal import Decimal
from itertools import chain
from statistics import median
from typing import Final

from reconcile.audits.base import AuditContext, AuditLimits
from reconcile.facts import HISTORY
from store.discrepancies import FieldDiff
from store.ledger_rows import LedgerRow, money

Anomaly = tuple[LedgerRow, tuple[LedgerRow, ...], str, list[FieldDiff]]
_CUSTOMER_KINDS: Final = frozenset({"sales_order", "invoice"})
"""Payments and credit notes are left out: split payments and instalments look like duplicates."""
_MAD_SCALE: Final = Decimal("1.4826")
"""MAD x 1.4826 estimates the standard deviation of normally distributed amounts."""


_DEAD: Final = ("void", "deleted")


def live(row: LedgerRow) -> bool:
    return not row.deleted and row.status not in _DEAD


def party_key(row: LedgerRow) -> str | None:
    """The customer: its id in the source, else its name folded (None: the customer is unknown)."""
    if row.party_id:
        return "id:" + row.party_id
    return _folded_name(row.party_name) if row.party_name else None


def _folded_name(name: str) -> str | None:
    if not name.strip():
        return None
    return "name:" + unicodedata.normalize("NFKC", name).casefold().strip()


Customer = tuple[str, str, str | None, str]
"""A customer's documents of one source, kind and currency: (source, kind, currency, party_key)."""
CustomerDocument = tuple[LedgerRow, Customer]


class Customers:
    """Which customer a document belongs to, for the checks that compare a customer's documents
    (possible_duplicate, unusual_amount). One per run: each name is folded once, since the same
    customers recur on every document and Unicode normalization is the costly part."""

    __slots__ = ("_customers", "_names")

    def __init__(self) -> None:
        self._names: dict[str, str | None] = {}
        self._customers: dict[Customer, Customer] = {}
        """Each customer's one tuple, shared by all its documents (a million documents, a few customers)."""

    def party(self, row: LedgerRow) -> str | None:
        """`party_key(row)`, each name folded once."""
        if row.party_id:
            return "id:" + row.party_id
        name = row.party_name
        if not name:
            return None
        try:
            return self._names[name]
        except KeyError:
            folded = self._names[name] = _folded_name(name)
            return folded

    def of(self, row: LedgerRow) -> Customer | None:
        """The customer of a live sales order or invoice with a total; None for any other document (and
        for one without a customer: it has no history and no twin to compare with)."""
        if not row.total or row.kind not in _CUSTOMER_KINDS or row.deleted or row.status in _DEAD:
            return None
        if row.party_id:
            party = "id:" + row.party_id
        else:
            name = row.party_name  # `self.party(row)`, inline: called for every document of a run
            if not name:
                return None
            names = self._names
            folded = names[name] if name in names else names.setdefault(name, _folded_name(name))
            if folded is None:
                return None
            party = folded
        customer = (row.source, row.kind, row.currency, party)
        return self._customers.setdefault(customer, customer)

    def documents(self, rows: Iterable[LedgerRow]) -> list[CustomerDocument]:
        """The rows that have a customer, each with it."""
        found: list[CustomerDocument] = []
        for row in rows:
            customer = self.of(row)
            if customer is not None:
                found.append((row, customer))
        return found


def _number_key(number: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", number).casefold() if ch.isalnum())


def possible_duplicates(documents: Iterable[CustomerDocument], limits: AuditLimits) -> list[Anomaly]:
    """Same source, kind, customer, currency and total, issued at most `days` apart, under different
    numbers. Not flagged: payments and credit notes (instalments, split payments), documents without a
    number, customer or date, and two documents that name different sales orders (separate deals).
    `documents`: `Customers.documents(rows)`, so only live sales orders and invoices with a customer."""
    # Per customer, per total: the one document with it, or the list of those sharing it. Keyed by the
    # customer's shared tuple and the total's own int, a million documents make no key objects and a
    # list only where two share a total (docs/performance.md).
    totals_of: dict[Customer, dict[int | None, LedgerRow | list[LedgerRow]]] = {}
    for row, customer in documents:
        if not row.number or row.issued_on is None:
            continue
        totals = totals_of.get(customer)
        if totals is None:
            totals_of[customer] = {row.total: row}
            continue
        seen = totals.get(row.total)
        if seen is None:
            totals[row.total] = row
        elif isinstance(seen, list):
            seen.append(row)
        else:
            totals[row.total] = [seen, row]
    groups = [group for totals in totals_of.values() for group in totals.values() if isinstance(group, list)]
    del totals_of
    found: list[Anomaly] = []
    days = limits.duplicate_days
    for group in groups:
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


def unusual_amounts(
    documents: Sequence[CustomerDocument], limits: AuditLimits, history: Iterable[CustomerDocument] = ()
) -> list[Anomaly]:
    """A total far from the customer's own history: |total - median| > factor x 1.4826 x MAD and at least
    `min_ratio` times the median (or at most the median divided by it), over the customer's documents of
    the same source, kind and currency (at least `min_history` of them).
    A history without spread (MAD 0: every amount alike) says nothing about scale: never flagged.
    `documents` and `history` (documents outside the plan's period): `Customers.documents(rows)`."""
    amounts_of: dict[Customer, list[LedgerRow]] = {}
    for row, customer in chain(history, documents):
        if (row.total or 0) > 0:
            known = amounts_of.get(customer)
            if known is None:
                amounts_of[customer] = [row]
            else:
                known.append(row)
    stats: dict[Customer, tuple[Decimal, Decimal, int]] = {}
    for customer, rows in amounts_of.items():
        if len(rows) < limits.unusual_min_history:
            continue  # fewer documents, fewer amounts: a cheap test before the distinct ones below
        amounts = {row.external_id: row.total or 0 for row in rows}  # a document in both: once
        if len(amounts) < limits.unusual_min_history:
            continue
        values = [Decimal(v) for v in amounts.values()]
        middle = median(values)
        spread = median([abs(v - middle) for v in values])
        if spread:
            stats[customer] = (middle, spread, len(values))
    found: list[Anomaly] = []
    if not stats:
        return found
    for row, customer in documents:
        if customer not in stats or row.total is None:
            continue
        middle, spread, count = stats[customer]
        if not _far_out(row.total, middle, spread, limits):
            continue
        typical = money(int(middle))
        text = (
            f"total {money(row.total)} is far outside this customer's usual amounts "
            f"(median {typical} over {count} documents)"
        )
        fields = [
            FieldDiff(field="total", left=str(money(row.total)), right=str(typical)),
            FieldDiff(field=HISTORY, left=None, right=str(count)),
        ]
        found.append((row, (), text, fields))
    return found


def _far_out(total: int, middle: Decimal, spread: Decimal, limits: AuditLimits) -> bool:
    """Beyond factor x the robust deviation AND beyond min_ratio x (or below 1/min_ratio of) the median:
    a tightly clustered history makes a modest order statistically far out, which is no news."""
    if abs(total - middle) <= limits.unusual_factor * _MAD_SCALE * spread:
        return False
    ratio = limits.unusual_min_ratio
    return not middle / ratio < total < middle * ratio


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
