"""LedgerRow: the compact, read-only view of a document that matching works on (a million of them fit in
memory), built from a CanonicalDocument or straight from SQL by the store — stdlib and pydantic only."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Final, NamedTuple

from store.canonical import CanonicalDocument, DocumentKey, DocumentKind, from_minor_units, to_minor_units
from store.discrepancies import DocumentRef

AllocationRow = tuple[str, int, str]
"""(target external id, amount in minor units, target kind)."""


class LedgerRow(NamedTuple):
    """One document as the matcher needs it. Amounts are integers of MONEY_SCALE places (exact).

    Built from a CanonicalDocument with `LedgerRow.of(doc)`, or straight from SQL by the store's
    reconcile repository (no pydantic model per row: 2,000,000 documents must load in seconds).
    """

    source: str
    kind: str
    external_id: str
    number: str | None = None
    party_id: str | None = None
    party_name: str | None = None
    owner: str | None = None
    issued_on: date | None = None
    due_on: date | None = None
    currency: str | None = None
    rate: Decimal | None = None
    subtotal: int | None = None
    tax: int | None = None
    total: int | None = None
    balance: int | None = None
    status: str = "open"
    deleted: bool = False
    references: Mapping[str, str] | None = None
    allocations: tuple[AllocationRow, ...] = ()
    lines_total: int | None = None
    """Sum of the line amounts, None when the document has no lines."""
    lines_min: int | None = None
    """Smallest line amount (negative lines are an audit finding), None without lines."""
    doc_id: int | None = None
    """The store's row id, when loaded from the store (persistence uses it; matching never does)."""
    discount: int | None = None
    """Document-level discount not inside the subtotal (CanonicalDocument.discount), minor units."""
    shipping: int | None = None
    adjustment: int | None = None
    rounding: int | None = None
    tax_inclusive: bool | None = None

    @classmethod
    def of(cls, doc: CanonicalDocument, doc_id: int | None = None) -> LedgerRow:
        amounts = [to_minor_units(line.amount) for line in doc.lines]
        return cls(
            source=doc.source,
            kind=doc.kind.value,
            external_id=doc.external_id,
            number=doc.number,
            party_id=doc.party.external_id if doc.party else None,
            party_name=doc.party.name if doc.party else None,
            owner=doc.owner,
            issued_on=doc.issued_on,
            due_on=doc.due_on,
            currency=doc.currency,
            rate=doc.exchange_rate,
            subtotal=_minor(doc.subtotal),
            tax=_minor(doc.tax),
            total=_minor(doc.total),
            balance=_minor(doc.balance),
            status=doc.status.value,
            deleted=doc.deleted,
            references=dict(doc.references) or None,
            allocations=tuple(
                (a.invoice_external_id, to_minor_units(a.amount), a.target_kind.value)
                for a in doc.allocations
            ),
            lines_total=sum(amounts) if amounts else None,
            lines_min=min(amounts) if amounts else None,
            doc_id=doc_id,
            discount=_minor(doc.discount),
            shipping=_minor(doc.shipping),
            adjustment=_minor(doc.adjustment),
            rounding=_minor(doc.rounding),
            tax_inclusive=doc.tax_inclusive,
        )

    @property
    def key(self) -> DocumentKey:
        return DocumentKey(source=self.source, kind=DocumentKind(self.kind), external_id=self.external_id)

    @property
    def key_text(self) -> str:
        return f"{self.source}/{self.kind}/{self.external_id}"

    def ref(self) -> DocumentRef:
        return DocumentRef(
            source=self.source,
            kind=DocumentKind(self.kind),
            external_id=self.external_id,
            number=self.number,
            amount=money(self.total),
            currency=self.currency,
            issued_on=self.issued_on,
        )

    def base_total(self, base_currency: str | None) -> int | None:
        """Total in the company's base currency (minor units), or None when it cannot be known."""
        if self.total is None:
            return None
        if self.currency is None or base_currency is None or self.currency == base_currency:
            return self.total
        if self.rate is None:
            return None
        return int((self.rate * self.total).to_integral_value(rounding=ROUND_HALF_EVEN))


def _minor(value: Decimal | None) -> int | None:
    return None if value is None else to_minor_units(value)


_CENTS: Final = Decimal("0.01")


def money(value: int | None) -> Decimal | None:
    """Minor units -> Decimal amount (None stays None), shown with two places when that is exact."""
    if value is None:
        return None
    amount = from_minor_units(value)
    return amount.quantize(_CENTS) if value % 100 == 0 else amount
