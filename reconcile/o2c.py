"""Order-to-cash summary: ordered, invoiced, credited, collected, outstanding, overdue per group.

Pure and streaming: one pass over canonical documents, memory proportional to the number of groups
(plus, when grouping by salesperson, each invoice's and order's owner so payments without one can
follow them; when grouping by customer, each customer's spellings). Amounts in different currencies are
never added together: a group has one row per currency, and the grand total is in the base currency
at each document's own rate (documents without a rate are counted and left out, never guessed).

Invoices that keep no settlement of their own (Fxiaoke invoice applications, status unknown) are
settled from their orders' collections (reconcile/order_settlement.py, ADR 0022); what cannot be known
is *settlement unknown*, neither owed nor paid.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from reconcile.order_settlement import NO_SETTLEMENTS, Settlements
from reconcile.party_groups import Node, PartyFolder, PartyGroup
from store.canonical import CanonicalDocument, DocumentKind, Status, to_minor_units
from store.ledger_rows import LedgerRow, money

_ZERO = Decimal(0)
_EXCLUDED = frozenset({Status.DRAFT, Status.VOID, Status.DELETED})
MEASURES = (
    "ordered",
    "invoiced",
    "credited",
    "collected",
    "unapplied",
    "outstanding",
    "overdue",
    "settlement_unknown",
)
"""What each O2CRow sums, in report order (also the report's column keys). `unapplied`: collected but
not applied to an invoice (a payment's unapplied balance, and collections on an order beyond what it was
invoiced: collected ahead of invoicing). `settlement_unknown`: invoiced, but whether it was collected
cannot be known — in neither outstanding nor overdue."""
BANK_MEASURE = "collected_in_bank"
"""Only when a collections rule reads the payments (`Banked`): what of `collected` a bank credit was
matched to — the last step of order-to-cash; the rest of `collected` is in transit or not in the bank."""


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
    unapplied: Decimal = _ZERO
    outstanding: Decimal = _ZERO
    overdue: Decimal = _ZERO
    settlement_unknown: Decimal = _ZERO
    variants: tuple[str, ...] = ()
    """The customer spellings folded into this row's group (customer grouping only)."""
    collected_in_bank: Decimal | None = None
    """BANK_MEASURE, None when no collections rule reads the payments."""

    @property
    def measures(self) -> tuple[Decimal, ...]:
        return tuple(getattr(self, name) for name in MEASURES)


@dataclass(frozen=True, slots=True)
class BaseTotal:
    """Every measure in the base currency, and what could not be converted."""

    currency: str
    amounts: tuple[Decimal, ...]
    """In the order of the summary's measures."""
    unconverted: int
    """Documents left out: in another currency without an exchange rate."""


@dataclass(frozen=True, slots=True)
class O2CSummary:
    """The rows, sorted by group then currency, one total row per currency, and the base total."""

    by: GroupBy
    as_of: date
    rows: tuple[O2CRow, ...]
    totals: tuple[O2CRow, ...]
    base: BaseTotal | None = None
    """None when no base currency was given."""
    unsettled: int = 0
    """How many invoices are of unknown settlement (in the `settlement_unknown` measure)."""
    banked: bool = False
    """A collections rule reads the payments: the rows carry `collected_in_bank` (and the base total
    has it last)."""


@dataclass(frozen=True, slots=True)
class Banked:
    """What the collections rules say of the payments: the payment sources they read, and the payments
    (source, external id) a bank credit was matched to."""

    sources: frozenset[str]
    payments: frozenset[tuple[str, str]]

    def __contains__(self, doc: object) -> bool:
        return isinstance(doc, CanonicalDocument) and (doc.source, doc.external_id) in self.payments


class BaseConverter:
    """Amounts of documents into the base currency at the document's own rate (the reconciler's
    conversion: LedgerRow.base_total), remembering the documents that cannot be converted."""

    def __init__(self, base_currency: str, measures: tuple[str, ...]) -> None:
        self.currency = base_currency
        self.sums = dict.fromkeys(measures, _ZERO)
        self._unconverted: set[tuple[str, str, str]] = set()

    def add(self, doc: CanonicalDocument, measure: str, amount: Decimal) -> None:
        if not amount:
            return
        row = LedgerRow(
            doc.source,
            doc.kind.value,
            doc.external_id,
            currency=doc.currency,
            rate=doc.exchange_rate,
            total=to_minor_units(amount),
        )
        converted = row.base_total(self.currency)
        if converted is None:
            self._unconverted.add((doc.source, doc.kind.value, doc.external_id))
        else:
            self.sums[measure] += money(converted) or _ZERO

    def total(self, measures: tuple[str, ...]) -> BaseTotal:
        return BaseTotal(self.currency, tuple(self.sums[m] for m in measures), len(self._unconverted))


GroupKey = Node | str | None
"""A customer node (folded into a group at the end), a salesperson, a month, or None."""


@dataclass
class _Accumulator:
    by: GroupBy
    as_of: date
    settlements: Settlements
    base: BaseConverter | None
    banked: Banked | None = None
    sums: dict[tuple[GroupKey, str | None], dict[str, Decimal]] = field(default_factory=dict)
    owners: dict[tuple[str, str, str], str] = field(default_factory=dict)
    parties: PartyFolder = field(default_factory=PartyFolder)
    unsettled: int = 0

    def add_to(self, doc: CanonicalDocument, group: GroupKey, measure: str, amount: Decimal) -> None:
        amounts = self.sums.setdefault((group, doc.currency), dict.fromkeys(self.measures, _ZERO))
        amounts[measure] += amount
        if self.base is not None:
            self.base.add(doc, measure, amount)

    @property
    def measures(self) -> tuple[str, ...]:
        return MEASURES if self.banked is None else (*MEASURES, BANK_MEASURE)

    def collected(self, doc: CanonicalDocument, group: GroupKey, amount: Decimal) -> None:
        """Collected, and (when a collections rule matched a bank credit to the payment) in the bank."""
        self.add_to(doc, group, "collected", amount)
        if self.banked is not None and doc in self.banked:
            self.add_to(doc, group, BANK_MEASURE, amount)

    def add(self, doc: CanonicalDocument) -> None:
        total = doc.total or _ZERO
        if doc.kind in (DocumentKind.SALES_ORDER, DocumentKind.INVOICE) and doc.owner:
            self.owners[(doc.source, doc.kind.value, doc.external_id)] = doc.owner
        if doc.kind is DocumentKind.SALES_ORDER:
            self.add_to(doc, self._group(doc), "ordered", total)
        elif doc.kind is DocumentKind.INVOICE:
            self._add_invoice(doc, total)
        elif doc.kind is DocumentKind.CREDIT_NOTE:
            self.add_to(doc, self._group(doc), "credited", total)
        elif doc.kind is DocumentKind.PAYMENT:
            self._add_payment(doc, total)

    def _add_invoice(self, doc: CanonicalDocument, total: Decimal) -> None:
        group = self._group(doc)
        self.add_to(doc, group, "invoiced", total)
        balance = settled_balance(doc, self.settlements)
        if balance is None:
            self.unsettled += 1
            self.add_to(doc, group, "settlement_unknown", total)
            return
        self.add_to(doc, group, "outstanding", balance)
        if balance > 0 and days_overdue(doc, self.as_of) > 0:
            self.add_to(doc, group, "overdue", balance)

    def _add_payment(self, doc: CanonicalDocument, total: Decimal) -> None:
        unapplied = max(doc.balance or _ZERO, _ZERO) + self.settlements.ahead_of(doc)
        if self.by is not GroupBy.SALESPERSON or doc.owner:
            group = self._group(doc)
            self.collected(doc, group, total)
            self.add_to(doc, group, "unapplied", unapplied)
            return
        # A payment without a salesperson follows the owners of the invoices (or orders) it pays.
        rest = total
        for allocation in doc.allocations:
            if allocation.target_kind is DocumentKind.CREDIT_NOTE:
                continue  # credit the payment used (QuickBooks), not money collected
            owner = self.owners.get(
                (doc.source, allocation.target_kind.value, allocation.invoice_external_id)
            )
            if owner is not None:
                self.collected(doc, owner, allocation.amount)
                rest -= allocation.amount
        if rest:
            self.collected(doc, None, rest)
        if unapplied:
            self.add_to(doc, None, "unapplied", unapplied)

    def _group(self, doc: CanonicalDocument) -> GroupKey:
        if self.by is GroupBy.CUSTOMER:
            return self.parties.node(doc)
        if self.by is GroupBy.SALESPERSON:
            return doc.owner or None
        return None if doc.issued_on is None else f"{doc.issued_on:%Y-%m}"


def counts_in_books(doc: CanonicalDocument) -> bool:
    """Drafts, voided and deleted documents are not business yet (or any more): they are left out."""
    return not doc.deleted and doc.status not in _EXCLUDED and doc.kind.is_ledger_document


def open_balance(invoice: CanonicalDocument) -> Decimal:
    """What is still owed on an invoice by its own fields: its balance; without one, nothing if paid,
    else the total. An invoice of unknown status is never taken as paid here; `settled_balance` says
    what is known about it from its order's collections."""
    if invoice.balance is not None:
        return invoice.balance
    if invoice.status is Status.PAID:
        return _ZERO
    return invoice.total or _ZERO


def settled_balance(invoice: CanonicalDocument, settlements: Settlements = NO_SETTLEMENTS) -> Decimal | None:
    """What is owed on an invoice: its own balance or status, else (unknown status: an Fxiaoke invoice
    application) what its order's collections leave owed; None when that cannot be known."""
    if invoice.balance is None and invoice.status is Status.UNKNOWN:
        return settlements.balance_of(invoice)
    return open_balance(invoice)


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
    settlements: Settlements = NO_SETTLEMENTS,
    base_currency: str | None = None,
    banked: Banked | None = None,
) -> O2CSummary:
    """Summarize documents (already chosen: the orders, invoices, credit notes and payments of the
    sources of record) issued between `start` and `end` inclusive. Overdue is judged on `as_of`.
    `settlements` settles invoices of unknown status (reconcile/order_settlement.py); without it they
    are all of unknown settlement. For the salesperson grouping, feed orders and invoices before
    payments so payments can follow them. `banked`: the collections rules' matches, for the
    `collected_in_bank` measure."""
    measures = MEASURES if banked is None else (*MEASURES, BANK_MEASURE)
    base = None if base_currency is None else BaseConverter(base_currency, measures)
    accumulator = _Accumulator(by=by, as_of=as_of, settlements=settlements, base=base, banked=banked)
    for doc in documents:
        if counts_in_books(doc) and issued_between(doc, start, end):
            accumulator.add(doc)
    merged = fold_groups(accumulator.sums, accumulator.parties.groups(), measures)
    rows = [
        _o2c_row(label, currency, sums, variants) for (label, currency), (sums, variants) in merged.items()
    ]
    rows.sort(key=lambda row: (row.group is None, row.group or "", row.currency or ""))
    totals: dict[str | None, dict[str, Decimal]] = {}
    for (_, currency), sums in accumulator.sums.items():
        running = totals.setdefault(currency, dict.fromkeys(measures, _ZERO))
        for measure, amount in sums.items():
            running[measure] += amount
    total_rows = [
        _o2c_row(None, currency, sums) for currency, sums in sorted(totals.items(), key=_currency_order)
    ]
    return O2CSummary(
        by=by,
        as_of=as_of,
        rows=tuple(rows),
        totals=tuple(total_rows),
        base=None if base is None else base.total(measures),
        unsettled=accumulator.unsettled,
        banked=banked is not None,
    )


def _o2c_row(
    group: str | None, currency: str | None, sums: Mapping[str, Decimal], variants: tuple[str, ...] = ()
) -> O2CRow:
    return O2CRow(
        group,
        currency,
        ordered=sums["ordered"],
        invoiced=sums["invoiced"],
        credited=sums["credited"],
        collected=sums["collected"],
        unapplied=sums["unapplied"],
        outstanding=sums["outstanding"],
        overdue=sums["overdue"],
        settlement_unknown=sums["settlement_unknown"],
        variants=variants,
        collected_in_bank=sums.get(BANK_MEASURE),
    )


def fold_groups(
    sums: Mapping[tuple[GroupKey, str | None], Mapping[str, Decimal]],
    parties: Mapping[Node, PartyGroup],
    measures: tuple[str, ...],
) -> dict[tuple[str | None, str | None], tuple[dict[str, Decimal], tuple[str, ...]]]:
    """Sums per (group key, currency) -> per (shown label, currency), the customer nodes of one
    customer folded together, with the spellings folded (empty for other groupings)."""
    merged: dict[tuple[str | None, str | None], tuple[dict[str, Decimal], tuple[str, ...]]] = {}
    for (key, currency), amounts in sums.items():
        if isinstance(key, tuple):
            party = parties[key]
            label: str | None = party.label
            variants = party.variants
        else:
            label, variants = key, ()
        running, _ = merged.setdefault((label, currency), (dict.fromkeys(measures, _ZERO), variants))
        for measure, amount in amounts.items():
            running[measure] += amount
    return merged


def _currency_order(item: tuple[str | None, object]) -> str:
    return item[0] or ""
