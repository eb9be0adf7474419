"""Helpers for the report tests: canonical documents in a line, the as-of date of the hand computations."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from store.canonical import Allocation, CanonicalDocument, DocumentKind, PartyRef, Status


def make_doc(kind: str, external_id: str, **fields: Any) -> CanonicalDocument:
    """A canonical document of the `books` source; amounts given as text become Decimals."""
    for name in ("total", "balance", "subtotal", "tax"):
        if isinstance(fields.get(name), str):
            fields[name] = Decimal(fields[name])
    if isinstance(fields.get("party"), str):
        fields["party"] = PartyRef(external_id=f"C-{fields['party']}", name=fields["party"])
    if isinstance(fields.get("status"), str):
        fields["status"] = Status(fields["status"])
    fields.setdefault("currency", "CNY")
    fields.setdefault("number", external_id)
    return CanonicalDocument(
        source=fields.pop("source", "books"), kind=DocumentKind(kind), external_id=external_id, **fields
    )


AS_OF = date(2026, 11, 20)


def o2c_documents() -> list[CanonicalDocument]:
    """Orders, invoices, a credit note and payments of two customers and two salespeople.

    Hand-computed, as of 2026-11-20 (see test_o2c.py for the expected figures).
    """
    oct_ = date(2026, 10, 1)
    return [
        make_doc("sales_order", "SO-1", party="Acme", owner="Li", total="1000.00", issued_on=oct_),
        make_doc(
            "sales_order", "SO-2", party="Beta", owner="Wang", total="500.00", issued_on=date(2026, 10, 15)
        ),
        make_doc(
            "invoice",
            "INV-1",
            party="Acme",
            owner="Li",
            total="1000.00",
            balance="400.00",
            issued_on=date(2026, 10, 2),
            due_on=date(2026, 10, 31),
        ),
        make_doc(
            "invoice",
            "INV-2",
            party="Beta",
            owner="Wang",
            total="300.00",
            balance="300.00",
            issued_on=date(2026, 10, 16),
            due_on=date(2026, 12, 1),
        ),
        make_doc(
            "invoice",
            "INV-3",
            party="Acme",
            owner="Li",
            currency="USD",
            total="200.00",
            balance="200.00",
            issued_on=date(2026, 7, 1),
            due_on=date(2026, 8, 1),
        ),
        make_doc(
            "invoice", "INV-4", party="Acme", owner="Li", total="999.00", status=Status.VOID, issued_on=oct_
        ),
        make_doc(
            "invoice",
            "INV-5",
            party="Beta",
            owner="Wang",
            total="888.00",
            status=Status.DRAFT,
            issued_on=oct_,
        ),
        make_doc(
            "invoice", "INV-6", party="Beta", owner="Wang", total="777.00", deleted=True, issued_on=oct_
        ),
        make_doc(
            "credit_note", "CN-1", party="Acme", owner="Li", total="50.00", issued_on=date(2026, 10, 20)
        ),
        make_doc(
            "payment",
            "PAY-1",
            party="Acme",
            total="600.00",
            issued_on=date(2026, 10, 10),
            allocations=(Allocation(invoice_external_id="INV-1", amount=Decimal("600.00")),),
        ),
        make_doc("payment", "PAY-2", party="Beta", total="100.00", issued_on=date(2026, 10, 20)),
    ]
