"""The truth a Xero sandbox serves: canonical documents per stream, rendered as Xero JSON from the
api-notes (§2.4 record shapes), deletions as DELETED rows, and rows of the payable side that a
receivables reader must leave out. Written from the notes, not from the connector's code."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Final

from store.canonical import CanonicalDocument, DocumentKind, Status

STREAM_KIND: Final[Mapping[str, DocumentKind]] = {
    "Invoices": DocumentKind.INVOICE,
    "Payments": DocumentKind.PAYMENT,
    "CreditNotes": DocumentKind.CREDIT_NOTE,
    "Overpayments": DocumentKind.PAYMENT,
    "Prepayments": DocumentKind.PAYMENT,
    "Contacts": DocumentKind.CUSTOMER,
    "Items": DocumentKind.PRODUCT,
}
"""Endpoint (and answer key) -> the canonical kind its documents have."""

ID_FIELD: Final[Mapping[str, str]] = {
    "Invoices": "InvoiceID",
    "Payments": "PaymentID",
    "CreditNotes": "CreditNoteID",
    "Overpayments": "OverpaymentID",
    "Prepayments": "PrepaymentID",
    "Contacts": "ContactID",
    "Items": "ItemID",
}

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def ms_date(moment: datetime) -> str:
    """MS-JSON as Xero sends it: `/Date(1541176592690+0000)/` (api-notes §2.4 [47][53])."""
    return f"/Date({(moment - _EPOCH) // timedelta(milliseconds=1)}+0000)/"


def day_date(day: date) -> str:
    """A calendar date: its midnight UTC in MS-JSON (`Date` = `/Date(1543449600000+0000)/`)."""
    return ms_date(datetime.combine(day, time(), tzinfo=UTC))


def xero_id(seed: str) -> str:
    """A Xero-style GUID, stable for a seed."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"xero-sandbox:{seed}"))


def canonical_rate(currency_rate: Decimal) -> Decimal:
    """What a document's canonical exchange_rate is for Xero's `CurrencyRate` (units of the document's
    currency per unit of the base, so the base per unit is its inverse). The direction is the
    assumption docs/connectors/xero.md marks UNVERIFIED."""
    return Decimal(1) / currency_rate


@dataclass(frozen=True)
class Gone:
    """A deleted document: served as its last rendering with Status DELETED, modified at `at`."""

    row: dict[str, Any]
    at: datetime


class XeroDataset:
    """What one Xero organisation holds. Documents are canonical (the truth a sync must reproduce);
    `foreign` rows (bills, supplier credit, money spent) are Xero JSON the sandbox serves beside them
    and a receivables reader must leave out. Thread-safe; renders on every request."""

    def __init__(
        self,
        *,
        tenant_id: str | None = None,
        name: str = "Sandbox Trading Ltd",
        base_currency: str = "NZD",
    ) -> None:
        self.tenant_id = tenant_id or xero_id(name)
        self.name = name
        self.base_currency = base_currency
        self._lock = threading.RLock()
        self._docs: dict[str, dict[str, CanonicalDocument]] = {key: {} for key in STREAM_KIND}
        self._extra: dict[str, dict[str, dict[str, Any]]] = {key: {} for key in STREAM_KIND}
        self._gone: dict[str, dict[str, Gone]] = {key: {} for key in STREAM_KIND}
        self._foreign: dict[str, list[dict[str, Any]]] = {key: [] for key in STREAM_KIND}

    # ------------------------------------------------------------------------- mutations

    def put(self, endpoint: str, doc: CanonicalDocument, **extra: Any) -> None:
        """Add or replace a document; `extra` are Xero fields the canonical form has no place for
        (`BatchPaymentID`, `ContactStatus` ...)."""
        if doc.kind is not STREAM_KIND[endpoint]:
            raise ValueError(
                f"{endpoint} holds {STREAM_KIND[endpoint].value} documents, not {doc.kind.value}"
            )
        if doc.source_modified_at is None:
            raise ValueError(f"{doc.key}: source_modified_at is required (it is UpdatedDateUTC)")
        if doc.source_modified_at.microsecond % 1000:
            raise ValueError(f"{doc.key}: Xero times are whole milliseconds")
        with self._lock:
            self._docs[endpoint][doc.external_id] = doc
            if extra:
                self._extra[endpoint][doc.external_id] = dict(extra)
            self._gone[endpoint].pop(doc.external_id, None)

    def edit(self, endpoint: str, external_id: str, at: datetime, **changes: Any) -> CanonicalDocument:
        with self._lock:
            current = self._docs[endpoint][external_id]
            updated = CanonicalDocument.model_validate(
                {**current.model_dump(), **changes, "source_modified_at": at}
            )
            self.put(endpoint, updated, **self._extra[endpoint].get(external_id, {}))
            return updated

    def delete(self, endpoint: str, external_id: str, at: datetime) -> None:
        """Xero deletes by status: the row stays, Status DELETED, UpdatedDateUTC `at` (api-notes §2.3)."""
        with self._lock:
            doc = self._docs[endpoint].pop(external_id)
            row = self._render(endpoint, doc)
            row["Status"] = "DELETED"
            row["UpdatedDateUTC"] = ms_date(at)
            self._gone[endpoint][external_id] = Gone(row, at)

    def add_foreign(self, endpoint: str, row: Mapping[str, Any]) -> None:
        """A row of the payable side (ACCPAY, ACCPAYCREDIT, ACCPAYPAYMENT, SPEND-*): not in the truth."""
        with self._lock:
            self._foreign[endpoint].append(dict(row))

    # ------------------------------------------------------------------------- reading

    def rows(self, endpoint: str) -> list[tuple[datetime, dict[str, Any]]]:
        """Every row the endpoint can serve, with its modification time (live, deleted, foreign)."""
        with self._lock:
            live = [(d.source_modified_at, self._render(endpoint, d)) for d in self._docs[endpoint].values()]
            gone = [(g.at, dict(g.row)) for g in self._gone[endpoint].values()]
            foreign = [(_parse_ms(r["UpdatedDateUTC"]), dict(r)) for r in self._foreign[endpoint]]
        return [(at, row) for at, row in (*live, *gone, *foreign) if at is not None]

    def live(self, endpoint: str) -> list[CanonicalDocument]:
        with self._lock:
            return sorted(self._docs[endpoint].values(), key=lambda d: d.external_id)

    def truth(self, *, source: str) -> list[CanonicalDocument]:
        """Every live document as a sync must store it (`source` set), ordered by (kind, external_id)."""
        with self._lock:
            docs = [d for endpoint in STREAM_KIND for d in self._docs[endpoint].values()]
        return sorted(
            (d.model_copy(update={"source": source, "revision": 0}) for d in docs),
            key=lambda d: (d.kind.value, d.external_id),
        )

    def deleted_ids(self) -> set[tuple[DocumentKind, str]]:
        with self._lock:
            return {(STREAM_KIND[e], ext) for e, items in self._gone.items() for ext in items}

    def latest(self) -> datetime:
        return max(at for endpoint in STREAM_KIND for at, _ in self.rows(endpoint))

    # ------------------------------------------------------------------------- rendering

    def _render(self, endpoint: str, doc: CanonicalDocument) -> dict[str, Any]:
        extra = self._extra[endpoint].get(doc.external_id, {})
        row: dict[str, Any] = RENDER[endpoint](doc, self)
        row.update(extra)
        return row

    def invoice_head(self, invoice_id: str) -> dict[str, Any]:
        """What a payment's `Invoice` carries of its invoice (id, number, currency, contact)."""
        doc = self._docs["Invoices"].get(invoice_id)
        if doc is None:
            gone = self._gone["Invoices"].get(invoice_id)
            row = gone.row if gone else {}
            return {
                k: row[k] for k in ("InvoiceID", "InvoiceNumber", "CurrencyCode", "Contact") if k in row
            } or {"InvoiceID": invoice_id}
        return {
            "InvoiceID": doc.external_id,
            "InvoiceNumber": doc.number,
            "CurrencyCode": doc.currency,
            "Contact": _contact(doc),
        }


def _parse_ms(value: str) -> datetime | None:
    digits = value[len("/Date(") :].split("+", maxsplit=1)[0].split(")", maxsplit=1)[0]
    return _EPOCH + timedelta(milliseconds=int(digits)) if digits.lstrip("-").isdigit() else None


def _contact(doc: CanonicalDocument) -> dict[str, Any]:
    party = doc.party
    return {"ContactID": party.external_id, "Name": party.name} if party else {}


def _rate(doc: CanonicalDocument) -> Decimal | None:
    """Xero's `CurrencyRate` (kept by the truth as references.xero_currency_rate); none: not sent."""
    rate = doc.references.get("xero_currency_rate")
    return Decimal(rate) if rate else None


def _money_common(doc: CanonicalDocument) -> dict[str, Any]:
    row: dict[str, Any] = {
        "Date": day_date(doc.issued_on) if doc.issued_on else None,
        "DateString": f"{doc.issued_on.isoformat()}T00:00:00" if doc.issued_on else None,
        "CurrencyCode": doc.currency,
        "CurrencyRate": _rate(doc),
        "UpdatedDateUTC": ms_date(doc.source_modified_at) if doc.source_modified_at else None,
    }
    if "reference" in doc.references:
        row["Reference"] = doc.references["reference"]
    return row


def _status_word(doc: CanonicalDocument) -> str:
    return doc.raw_status or {
        Status.DRAFT: "DRAFT",
        Status.OPEN: "AUTHORISED",
        Status.PARTIALLY_PAID: "AUTHORISED",
        Status.PAID: "PAID",
        Status.VOID: "VOIDED",
    }.get(doc.status, "AUTHORISED")


def _allocations(doc: CanonicalDocument) -> list[dict[str, Any]]:
    return [
        {"Amount": a.amount, "Invoice": {"InvoiceID": a.invoice_external_id}, "Date": day_date(doc.issued_on)}
        if doc.issued_on
        else {"Amount": a.amount, "Invoice": {"InvoiceID": a.invoice_external_id}}
        for a in doc.allocations
    ]


def render_invoice(doc: CanonicalDocument, _: XeroDataset) -> dict[str, Any]:
    total = doc.total or Decimal(0)
    due = doc.balance if doc.balance is not None else total
    return {
        "Type": "ACCREC",
        "InvoiceID": doc.external_id,
        "InvoiceNumber": doc.number,
        "Contact": _contact(doc),
        "DueDate": day_date(doc.due_on) if doc.due_on else None,
        "Status": _status_word(doc),
        "LineAmountTypes": "Exclusive",
        "LineItems": [
            {
                "Description": line.description,
                "Quantity": line.quantity,
                "UnitAmount": line.unit_price,
                "ItemCode": line.sku,
                "TaxAmount": line.tax,
                "LineAmount": line.amount,
            }
            for line in doc.lines
        ],
        "SubTotal": doc.subtotal,
        "TotalTax": doc.tax,
        "Total": doc.total,
        "TotalDiscount": Decimal("0.00"),
        "AmountDue": due,
        "AmountPaid": total - due,
        "AmountCredited": Decimal("0.00"),
        "HasErrors": False,
        **_money_common(doc),
    }


def render_payment(doc: CanonicalDocument, data: XeroDataset) -> dict[str, Any]:
    target = doc.allocations[0].invoice_external_id if doc.allocations else None
    row = {
        "PaymentID": doc.external_id,
        "Amount": doc.total,
        "BankAmount": doc.total,
        "Status": "AUTHORISED",
        "PaymentType": "ACCRECPAYMENT",
        "IsReconciled": False,
        "Invoice": data.invoice_head(target) if target else None,
        **_money_common(doc),
    }
    row.pop("CurrencyCode")  # a payment carries its invoice's currency, not its own [47]
    if doc.references.get("batch_payment"):
        row["BatchPaymentID"] = doc.references["batch_payment"]
    return row


def render_credit_note(doc: CanonicalDocument, _: XeroDataset) -> dict[str, Any]:
    return {
        "CreditNoteID": doc.external_id,
        "CreditNoteNumber": doc.number,
        "Type": "ACCRECCREDIT",
        "Contact": _contact(doc),
        "Status": _status_word(doc),
        "LineAmountTypes": "Exclusive",
        "SubTotal": doc.subtotal,
        "TotalTax": doc.tax,
        "Total": doc.total,
        "RemainingCredit": doc.balance,
        "Allocations": _allocations(doc),
        **_money_common(doc),
    }


def _render_credit(kind: str, id_field: str) -> Any:
    def render(doc: CanonicalDocument, _: XeroDataset) -> dict[str, Any]:
        row = {
            id_field: doc.external_id,
            "Type": kind,
            "Contact": _contact(doc),
            "Status": _status_word(doc),
            "Total": doc.total,
            "RemainingCredit": doc.balance,
            "Allocations": _allocations(doc),
            **_money_common(doc),
        }
        row.pop("Reference", None)
        return row

    return render


def render_contact(doc: CanonicalDocument, _: XeroDataset) -> dict[str, Any]:
    party = doc.party
    return {
        "ContactID": doc.external_id,
        "ContactNumber": doc.number,
        "Name": party.name if party else None,
        "ContactStatus": doc.raw_status or "ACTIVE",
        "IsCustomer": True,
        "UpdatedDateUTC": ms_date(doc.source_modified_at) if doc.source_modified_at else None,
    }


def render_item(doc: CanonicalDocument, _: XeroDataset) -> dict[str, Any]:
    line = doc.lines[0]
    return {
        "ItemID": doc.external_id,
        "Code": doc.number,
        "Name": line.product,
        "Description": line.description,
        "SalesDetails": {"UnitPrice": line.unit_price},
        "UpdatedDateUTC": ms_date(doc.source_modified_at) if doc.source_modified_at else None,
    }


RENDER: Final = {
    "Invoices": render_invoice,
    "Payments": render_payment,
    "CreditNotes": render_credit_note,
    "Overpayments": _render_credit("RECEIVE-OVERPAYMENT", "OverpaymentID"),
    "Prepayments": _render_credit("RECEIVE-PREPAYMENT", "PrepaymentID"),
    "Contacts": render_contact,
    "Items": render_item,
}


def documents_in(dataset: XeroDataset, items: Iterable[tuple[str, CanonicalDocument]]) -> XeroDataset:
    for endpoint, doc in items:
        dataset.put(endpoint, doc)
    return dataset
