"""The demo company's books kept in Xero instead of Zoho Books: the same invoices, payments and credit
notes, as Xero holds them (api-notes §2.4). A Books payment applied to several invoices becomes one
Xero payment per invoice sharing a BatchPaymentID; what it left unapplied becomes an overpayment. The
Books records the demo serves broken are served broken here too (an unreadable `Date`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connectors.sandbox.generator import DemoCompany
from connectors.sandbox.xero.dataset import XeroDataset, canonical_rate, xero_id
from store.canonical import Allocation, CanonicalDocument, DocumentKind, PartyRef, Status

SOURCE = "xero"
"""The connector name of the Xero books in the sandbox's paste-in configuration."""

_WORD = {
    Status.DRAFT: "DRAFT",
    Status.OPEN: "AUTHORISED",
    Status.PARTIALLY_PAID: "AUTHORISED",
    Status.PAID: "PAID",
    Status.VOID: "VOIDED",
}


def xero_dataset(company: DemoCompany, *, name: str = "Demo Trading Co. (Xero)") -> XeroDataset:
    """The company's Books documents as one Xero organisation (base currency the company's)."""
    books = company.zoho
    data = XeroDataset(name=name, base_currency=books.base_currency)
    contacts: dict[str, CanonicalDocument] = {}

    def party(ref: PartyRef | None, at: Any) -> PartyRef | None:
        if ref is None:
            return None
        contact_id = xero_id(f"contact:{ref.external_id or ref.name}")
        moved = PartyRef(external_id=contact_id, name=ref.name)
        if contact_id not in contacts or (contacts[contact_id].source_modified_at or at) < at:
            contacts[contact_id] = CanonicalDocument(
                source=SOURCE, kind=DocumentKind.CUSTOMER, external_id=contact_id, party=moved,
                status=Status.OPEN, raw_status="ACTIVE", source_modified_at=at,
            )  # fmt: skip
        return moved

    def rate(doc: CanonicalDocument) -> tuple[Decimal | None, dict[str, str]]:
        """Books' rate (base per unit) as Xero's CurrencyRate (units per base); none stays none."""
        if not doc.exchange_rate:
            return None, {}
        xero_rate = Decimal(1) / doc.exchange_rate
        return canonical_rate(xero_rate), {"xero_currency_rate": str(xero_rate)}

    invoice_ids: dict[str, str] = {}
    for doc in books.live("books", DocumentKind.INVOICE):
        invoice_ids[doc.external_id] = xero_id(f"invoice:{doc.external_id}")
        canonical, refs = rate(doc)
        total = doc.total or Decimal(0)
        due = doc.balance if doc.balance is not None else total
        status = {Status.PARTIALLY_PAID: Status.OPEN}.get(doc.status, doc.status)
        if status is Status.OPEN and due and total - due:
            status = Status.PARTIALLY_PAID
        reference = doc.references.get("reference_number")
        moved = doc.model_copy(
            update={
                "source": SOURCE, "external_id": invoice_ids[doc.external_id],
                "party": party(doc.party, doc.source_modified_at), "exchange_rate": canonical,
                "references": {**refs, **({"reference": reference} if reference else {})},
                "status": status, "raw_status": _WORD.get(doc.status, "AUTHORISED"), "balance": due,
                "discount": Decimal(0), "shipping": Decimal(0), "adjustment": Decimal(0),
                "rounding": Decimal(0), "tax_inclusive": False, "owner": None, "lines": (),
                "source_modified_at": doc.source_modified_at,
            }
        )  # fmt: skip
        broken = company.zoho_overrides.get(doc.external_id)
        unreadable = {"Date": "not a date: " + str(next(iter(broken.values())))} if broken else {}
        data.put("Invoices", moved, **unreadable)

    for doc in books.live("books", DocumentKind.PAYMENT):
        canonical, refs = rate(doc)
        targets = [a for a in doc.allocations if a.invoice_external_id in invoice_ids]
        batch = {"batch_payment": xero_id(f"batch:{doc.external_id}")} if len(targets) > 1 else {}
        for n, allocation in enumerate(targets):
            target = invoice_ids[allocation.invoice_external_id]
            data.put(
                "Payments",
                CanonicalDocument(
                    source=SOURCE, kind=DocumentKind.PAYMENT,
                    external_id=xero_id(f"payment:{doc.external_id}:{n}"),
                    party=party(doc.party, doc.source_modified_at), issued_on=doc.issued_on,
                    currency=doc.currency, exchange_rate=canonical, total=allocation.amount,
                    balance=Decimal(0), status=Status.PAID, raw_status="AUTHORISED",
                    allocations=(Allocation(invoice_external_id=target, amount=allocation.amount),),
                    references={**refs, **batch}, source_modified_at=doc.source_modified_at,
                ),
            )  # fmt: skip
        applied = sum((a.amount for a in targets), Decimal(0))
        left = (doc.total or Decimal(0)) - applied
        if left > 0:
            data.put(
                "Overpayments",
                CanonicalDocument(
                    source=SOURCE, kind=DocumentKind.PAYMENT,
                    external_id=xero_id(f"overpayment:{doc.external_id}"),
                    party=party(doc.party, doc.source_modified_at), issued_on=doc.issued_on,
                    currency=doc.currency, exchange_rate=canonical, total=left, balance=left,
                    status=Status.OPEN, raw_status="AUTHORISED",
                    references={**refs, "unapplied": "overpayment"},
                    source_modified_at=doc.source_modified_at,
                ),
            )  # fmt: skip

    for doc in books.live("books", DocumentKind.CREDIT_NOTE):
        canonical, refs = rate(doc)
        allocations = tuple(
            Allocation(invoice_external_id=invoice_ids[a.invoice_external_id], amount=a.amount)
            for a in doc.allocations
            if a.invoice_external_id in invoice_ids
        )
        data.put(
            "CreditNotes",
            doc.model_copy(
                update={
                    "source": SOURCE, "external_id": xero_id(f"credit:{doc.external_id}"),
                    "party": party(doc.party, doc.source_modified_at), "exchange_rate": canonical,
                    "references": refs, "allocations": allocations,
                    "status": _credit_status(doc), "raw_status": _WORD.get(_credit_status(doc), "AUTHORISED"),
                }
            ),
        )  # fmt: skip
    for contact in contacts.values():
        data.put("Contacts", contact)
    return data


def _credit_status(doc: CanonicalDocument) -> Status:
    if doc.status in (Status.DRAFT, Status.VOID):
        return doc.status
    return Status.PAID if doc.balance == 0 else Status.OPEN
