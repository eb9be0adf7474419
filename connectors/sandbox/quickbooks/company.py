"""The demo company's books kept in QuickBooks Online instead of Zoho Books: the same invoices,
payments and credit memos as a QuickBooks company holds them (api-notes §1.5). QuickBooks has no
drafts (left out), voids by zeroing the amounts with a "Voided" note, keeps one payment over several
invoices as one Payment with a line per invoice, and what a payment left unapplied as `UnappliedAmt`."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from connectors.sandbox.generator import DemoCompany
from connectors.sandbox.quickbooks.dataset import QuickBooksDataset
from store.canonical import Allocation, CanonicalDocument, DocumentKind, PartyRef, Status

SOURCE = "quickbooks"
"""The connector name of the QuickBooks books in the sandbox's paste-in configuration."""


def quickbooks_dataset(company: DemoCompany) -> QuickBooksDataset:
    """The company's Books documents as one QuickBooks company (home currency the company's)."""
    books = company.zoho
    data = QuickBooksDataset(home_currency=books.base_currency)
    numbers = iter(range(1, 10_000_000))
    customers: dict[str, CanonicalDocument] = {}
    ids: dict[str, str] = {}

    def party(ref: PartyRef | None, at: datetime | None) -> PartyRef | None:
        if ref is None or at is None:
            return None
        key = ref.external_id or ref.name or ""
        if key not in customers:
            cid = str(next(numbers))
            customers[key] = CanonicalDocument(
                source=SOURCE, kind=DocumentKind.CUSTOMER, external_id=cid, number=ref.name,
                party=PartyRef(external_id=cid, name=ref.name), balance=Decimal(0),
                status=Status.OPEN, raw_status="Active", source_modified_at=at.replace(microsecond=0),
            )  # fmt: skip
        found = customers[key]
        return PartyRef(external_id=found.external_id, name=found.number)

    def common(doc: CanonicalDocument, entity_id: str) -> dict[str, object]:
        at = doc.source_modified_at
        return {
            "source": SOURCE, "external_id": entity_id, "party": party(doc.party, at),
            "exchange_rate": doc.exchange_rate or Decimal(1), "owner": None, "subtotal": None,
            "discount": None, "shipping": None, "adjustment": None, "rounding": None,
            "tax_inclusive": None, "references": {}, "raw_status": None,
            "source_modified_at": at.replace(microsecond=0) if at else None,
        }  # fmt: skip

    for doc in books.live("books", DocumentKind.INVOICE):
        if doc.status is Status.DRAFT or doc.source_modified_at is None:
            continue
        ids[doc.external_id] = str(next(numbers))
        moved = doc.model_copy(update=common(doc, ids[doc.external_id]))
        moved = moved.model_copy(update={"lines": tuple(line.model_copy(update={"sku": None, "tax": None})
                                                        for line in doc.lines)})  # fmt: skip
        data.put("Invoice", _void(moved) if doc.status is Status.VOID else _paid_status(moved))
    for doc in books.live("books", DocumentKind.PAYMENT):
        if doc.source_modified_at is None:
            continue
        allocations = tuple(
            Allocation(invoice_external_id=ids[a.invoice_external_id], amount=a.amount)
            for a in doc.allocations
            if a.invoice_external_id in ids
        )
        applied = sum((a.amount for a in allocations), Decimal(0))
        moved = doc.model_copy(update={**common(doc, str(next(numbers))), "lines": ()})
        data.put("Payment", moved.model_copy(update={
            "allocations": allocations, "balance": (doc.total or Decimal(0)) - applied, "status": Status.PAID,
            "references": {"payment_reference": doc.number} if doc.number else {}, "tax": None,
        }))  # fmt: skip
    for doc in books.live("books", DocumentKind.CREDIT_NOTE):
        if doc.status is Status.DRAFT or doc.source_modified_at is None:
            continue
        moved = doc.model_copy(update={**common(doc, str(next(numbers))), "allocations": (), "due_on": None})
        moved = moved.model_copy(update={"lines": tuple(line.model_copy(update={"sku": None, "tax": None})
                                                        for line in doc.lines)})  # fmt: skip
        data.put("CreditMemo", _void(moved) if doc.status is Status.VOID else moved.model_copy(
            update={"status": Status.OPEN}))  # fmt: skip
    for customer in customers.values():
        data.put("Customer", customer)
    return data


def _void(doc: CanonicalDocument) -> CanonicalDocument:
    lines = tuple(
        line.model_copy(update={"amount": Decimal(0), "quantity": Decimal(0)}) for line in doc.lines
    )
    zero = Decimal(0)
    return doc.model_copy(
        update={"total": zero, "balance": zero, "tax": zero, "lines": lines, "status": Status.VOID,
                "raw_status": "Voided"}
    )  # fmt: skip


def _paid_status(doc: CanonicalDocument) -> CanonicalDocument:
    total, balance = doc.total, doc.balance if doc.balance is not None else doc.total
    status = Status.OPEN
    if total is not None and balance is not None:
        if balance == 0 and total != 0:
            status = Status.PAID
        elif 0 < balance < total:
            status = Status.PARTIALLY_PAID
    return doc.model_copy(update={"balance": balance, "status": status})
