"""The truth a Zoho sandbox serves: canonical documents per system and kind, deletions, and edits."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from store.canonical import CanonicalDocument, DocumentKind

System = Literal["crm", "books"]

CRM_MODULES: dict[DocumentKind, str] = {
    DocumentKind.SALES_ORDER: "Sales_Orders",
    DocumentKind.INVOICE: "Invoices",
    DocumentKind.CUSTOMER: "Accounts",
    DocumentKind.PRODUCT: "Products",
}
"""CRM v8 module API name per canonical kind."""

BOOKS_COLLECTIONS: dict[DocumentKind, str] = {
    DocumentKind.INVOICE: "invoices",
    DocumentKind.PAYMENT: "customerpayments",
    DocumentKind.SALES_ORDER: "salesorders",
    DocumentKind.CREDIT_NOTE: "creditnotes",
}
"""Books v3 list path per canonical kind."""


@dataclass(frozen=True)
class Deletion:
    """A record moved to the CRM recycle bin (Books has no deleted list: its deletions just vanish)."""

    external_id: str
    deleted_at: datetime
    display_name: str | None


class ZohoDataset:
    """What the sandbox serves, as canonical documents (the truth a sync must reproduce exactly).

    `crm` documents may be of kind sales_order, invoice, customer, product; `books` documents of kind
    invoice, payment, sales_order, credit_note. Every document needs `source_modified_at` in whole
    seconds (Zoho's precision): it is rendered as `Modified_Time` / `last_modified_time`. The sandbox
    renders vendor JSON from these documents on every request, so edits show up at once. Thread-safe.
    """

    def __init__(
        self,
        crm: Iterable[CanonicalDocument] = (),
        books: Iterable[CanonicalDocument] = (),
        *,
        organization_id: str = "10234695",
        organization_name: str = "Sandbox Trading Co.",
        timezone: str = "Asia/Shanghai",
        base_currency: str = "CNY",
    ) -> None:
        self.organization_id = organization_id
        self.organization_name = organization_name
        self.timezone = timezone
        self.base_currency = base_currency
        self._lock = threading.RLock()
        self._docs: dict[tuple[System, DocumentKind], dict[str, CanonicalDocument]] = {}
        self._deleted: dict[tuple[System, DocumentKind], dict[str, Deletion]] = {}
        self._detail_fields: dict[str, dict[str, Any]] = {}
        for doc in crm:
            self.put("crm", doc)
        for doc in books:
            self.put("books", doc)

    # ------------------------------------------------------------------------- mutations

    def put(self, system: System, doc: CanonicalDocument) -> None:
        """Add a document, or replace the one with the same kind and external id (an edit). The total's
        components the vendor always shows are filled in (see `complete_components`)."""
        _check_kind(system, doc.kind)
        doc = complete_components(system, doc)
        _check_representable(system, doc)
        if doc.source_modified_at is None:
            raise ValueError(f"{doc.key}: source_modified_at is required (it becomes Modified_Time)")
        if doc.source_modified_at.microsecond:
            raise ValueError(f"{doc.key}: Zoho times are whole seconds")
        with self._lock:
            self._docs.setdefault((system, doc.kind), {})[doc.external_id] = doc
            self._deleted.get((system, doc.kind), {}).pop(doc.external_id, None)

    def edit(
        self, system: System, kind: DocumentKind, external_id: str, at: datetime, **changes: Any
    ) -> CanonicalDocument:
        """Change fields of a live document and stamp it modified at `at`; returns the new document."""
        with self._lock:
            current = self.get(system, kind, external_id)
            if current is None:
                raise KeyError(f"{system} {kind.value} {external_id} does not exist")
            updated = CanonicalDocument.model_validate(
                {**current.model_dump(), **changes, "source_modified_at": at}
            )
            self.put(system, updated)
            return updated

    def delete(self, system: System, kind: DocumentKind, external_id: str, at: datetime) -> None:
        """Delete a live document (CRM: it shows in /{Module}/deleted from `at` on)."""
        with self._lock:
            doc = self._docs.get((system, kind), {}).pop(external_id, None)
            if doc is None:
                raise KeyError(f"{system} {kind.value} {external_id} does not exist")
            self._deleted.setdefault((system, kind), {})[external_id] = Deletion(
                external_id, at.replace(microsecond=0), doc.number
            )

    def set_detail_fields(self, external_id: str, fields: dict[str, Any]) -> None:
        """Vendor fields only the single-record payload shows (a Books invoice's `sub_total`,
        `discount_type`, `is_inclusive_tax`, `roundoff_value`, `line_items`, ...): list responses never
        carry them, so they are not part of the truth a sync reads from lists."""
        with self._lock:
            self._detail_fields[external_id] = dict(fields)

    def detail_fields(self, external_id: str) -> dict[str, Any]:
        with self._lock:
            return dict(self._detail_fields.get(external_id, {}))

    # ------------------------------------------------------------------------- reading

    def get(self, system: System, kind: DocumentKind, external_id: str) -> CanonicalDocument | None:
        with self._lock:
            return self._docs.get((system, kind), {}).get(external_id)

    def number_of(self, system: System, kind: DocumentKind, external_id: str) -> str | None:
        """The document number of a live or deleted document (a lookup keeps the name it showed)."""
        with self._lock:
            doc = self.get(system, kind, external_id)
            if doc is not None:
                return doc.number
            gone = self._deleted.get((system, kind), {}).get(external_id)
            return gone.display_name if gone else None

    def live(self, system: System, kind: DocumentKind) -> list[CanonicalDocument]:
        """Live documents of one kind, by external id."""
        with self._lock:
            docs = list(self._docs.get((system, kind), {}).values())
        return sorted(docs, key=lambda d: d.external_id)

    def deletions(self, system: System, kind: DocumentKind) -> list[Deletion]:
        with self._lock:
            return sorted(self._deleted.get((system, kind), {}).values(), key=lambda d: d.external_id)

    def truth(self, system: System, *, source: str) -> list[CanonicalDocument]:
        """Every live document of a system as a sync must store it, with `source` set to the connector's
        name; ordered by (kind, external_id)."""
        with self._lock:
            keys = sorted((k for k in self._docs if k[0] == system), key=lambda k: k[1].value)
        return [
            doc.model_copy(update={"source": source, "revision": 0})
            for key in keys
            for doc in self.live(system, key[1])
        ]

    def deleted_ids(self, system: System) -> set[tuple[DocumentKind, str]]:
        with self._lock:
            return {(k[1], ext) for k, items in self._deleted.items() if k[0] == system for ext in items}


def _check_kind(system: System, kind: DocumentKind) -> None:
    allowed = CRM_MODULES if system == "crm" else BOOKS_COLLECTIONS
    if kind not in allowed:
        names = ", ".join(k.value for k in allowed)
        raise ValueError(f"a {system} sandbox serves {names}, not {kind.value}")


_COMPONENTS = ("discount", "shipping", "adjustment", "rounding", "tax_inclusive")
"""CanonicalDocument's total components (store/canonical.py): what makes a total more than subtotal + tax."""

_NOT_RENDERED: dict[tuple[System, DocumentKind], tuple[str, ...]] = {
    ("crm", DocumentKind.SALES_ORDER): ("balance", "allocations"),
    ("crm", DocumentKind.INVOICE): ("balance", "allocations"),
    ("crm", DocumentKind.CUSTOMER): (
        "issued_on",
        "due_on",
        "currency",
        "exchange_rate",
        "subtotal",
        "tax",
        "total",
        "balance",
        "raw_status",
        "allocations",
        "lines",
        *_COMPONENTS,
    ),
    ("crm", DocumentKind.PRODUCT): (
        "party",
        "issued_on",
        "due_on",
        "currency",
        "exchange_rate",
        "subtotal",
        "tax",
        "total",
        "balance",
        "raw_status",
        "allocations",
        *_COMPONENTS,
    ),
    ("books", DocumentKind.INVOICE): (
        "subtotal", "tax", "lines", "allocations", "discount", "rounding", "tax_inclusive",
    ),
    ("books", DocumentKind.SALES_ORDER): ("due_on", "subtotal", "tax", "balance", "lines", "allocations",
                                          *_COMPONENTS),
    ("books", DocumentKind.PAYMENT): ("owner", "due_on", "subtotal", "tax", "lines", *_COMPONENTS),
    ("books", DocumentKind.CREDIT_NOTE): ("owner", "due_on", "subtotal", "tax", "lines", *_COMPONENTS),
}  # fmt: skip
"""Fields a Zoho list response does not carry for a kind: the truth must leave them empty, because a
sync cannot read them (Books lists give header totals only; line items would cost a call per record)."""


def _check_representable(system: System, doc: CanonicalDocument) -> None:
    for name in _NOT_RENDERED[(system, doc.kind)]:
        if name in CanonicalDocument.model_fields and getattr(doc, name) not in (None, (), {}):
            raise ValueError(f"{doc.key}: a Zoho {system} {doc.kind.value} cannot carry {name!r}")
    if system == "crm" and doc.kind in _CRM_TOTALLED and (doc.shipping or doc.rounding or doc.tax_inclusive):
        raise ValueError(f"{doc.key}: CRM has no shipping or rounding field and adds tax on top")


_CRM_TOTALLED = (DocumentKind.SALES_ORDER, DocumentKind.INVOICE)
_ZERO = Decimal(0)


def complete_components(system: System, doc: CanonicalDocument) -> CanonicalDocument:
    """The total's components as a correct connector reads them from what this sandbox renders.

    - CRM sales orders and invoices always carry `Discount` and `Adjustment` (0 when none; Grand_Total =
      Sub_Total - Discount + Tax + Adjustment) and have no shipping or rounding field and no tax-inclusive
      pricing: shipping and rounding are 0, tax_inclusive False. A discount or adjustment the document
      leaves unknown (None) is shown as 0, the CRM default.
    - Books invoice lists carry `shipping_charge` and `adjustment` (0 when none) but not the discount,
      `roundoff_value` or `is_inclusive_tax` (only the single-invoice payload does): those stay unknown.
    - Everything else carries no components (they stay None).
    """
    update: dict[str, Any] = {}
    if system == "crm" and doc.kind in _CRM_TOTALLED:
        update = {
            "discount": _ZERO if doc.discount is None else doc.discount,
            "adjustment": _ZERO if doc.adjustment is None else doc.adjustment,
            "shipping": _ZERO if doc.shipping is None else doc.shipping,
            "rounding": _ZERO if doc.rounding is None else doc.rounding,
            "tax_inclusive": False if doc.tax_inclusive is None else doc.tax_inclusive,
        }
    elif system == "books" and doc.kind is DocumentKind.INVOICE:
        update = {
            "shipping": _ZERO if doc.shipping is None else doc.shipping,
            "adjustment": _ZERO if doc.adjustment is None else doc.adjustment,
        }
    changed = {
        k: v for k, v in update.items() if getattr(doc, k) != v or type(getattr(doc, k)) is not type(v)
    }
    return doc.model_copy(update=changed) if changed else doc
