"""QuickBooks normalizers from the vendor's documented payloads (tests/fixtures/quickbooks/docs), parsed
as the HTTP loop parses them (fractions exact): money, currency and rate, DocNumber, CustomerRef, a
payment's allocations from Line[].LinkedTxn of type Invoice and its unapplied amount, void detection."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from connectors.base import NormalizeContext
from connectors.errors import RecordError
from connectors.http import parse_json
from connectors.quickbooks import normalize
from store.canonical import DocumentKind, Status

DOCS = Path(__file__).resolve().parents[2] / "fixtures" / "quickbooks" / "docs"
CTX = NormalizeContext(source="qb", timezone=ZoneInfo("UTC"), base_currency="USD")


def _doc(name: str, entity: str) -> dict[str, Any]:
    return parse_json((DOCS / name).read_text(encoding="utf-8"))[entity]


def test_the_documented_invoice() -> None:
    doc = normalize.invoice(_doc("invoice.json", "Invoice"), CTX)
    assert doc.kind is DocumentKind.INVOICE
    assert doc.external_id == "239"
    assert doc.number == "1070"
    assert doc.party is not None
    assert (doc.party.external_id, doc.party.name) == ("1", "Amy's Bird Sanctuary")
    assert doc.total == Decimal("150.0")
    assert doc.balance == Decimal("150.0")
    assert doc.currency == "USD"
    assert doc.status is Status.OPEN
    assert str(doc.issued_on) == "2015-07-24"
    assert str(doc.due_on) == "2015-08-23"
    assert [line.amount for line in doc.lines] == [Decimal("150.0")]  # the subtotal line is no line
    assert doc.source_modified_at is not None
    assert doc.source_modified_at.isoformat() == "2015-07-24T17:35:08+00:00"


def test_the_documented_sales_receipt_is_a_paid_invoice_with_exact_quantities() -> None:
    doc = normalize.sales_receipt(_doc("sales_receipt.json", "SalesReceipt"), CTX)
    assert doc.kind is DocumentKind.INVOICE
    assert doc.status is Status.PAID
    assert doc.references == {"kind": "sales_receipt", "payment_reference": "10264"}
    [line] = doc.lines
    assert (line.quantity, line.unit_price, line.amount) == (Decimal("4.5"), Decimal(75), Decimal("337.5"))


def test_a_payment_over_three_invoices_keeps_its_unapplied_amount_and_the_credit_memo_it_uses() -> None:
    """A line linking a CreditMemo is credit the payment uses (api-notes §1.5: a payment covers invoices
    and credit memos): kept as a credit_note allocation, so settlement counts it as funding the invoices."""
    doc = normalize.payment(_doc("payment_constructed.json", "Payment"), CTX)
    assert doc.kind is DocumentKind.PAYMENT
    assert {(a.invoice_external_id, a.target_kind): a.amount for a in doc.allocations} == {
        ("147", DocumentKind.INVOICE): Decimal("300.05"),
        ("148", DocumentKind.INVOICE): Decimal("400.00"),
        ("149", DocumentKind.INVOICE): Decimal("200.05"),
        ("77", DocumentKind.CREDIT_NOTE): Decimal("50.0"),
    }
    assert doc.total == Decimal("950.10")
    assert doc.balance == Decimal("100.00")
    assert (doc.currency, doc.exchange_rate) == ("EUR", Decimal("1.0823"))


def test_a_voided_invoice_is_void_not_deleted() -> None:
    raw = {
        **_doc("invoice.json", "Invoice"),
        "TotalAmt": Decimal(0),
        "Balance": Decimal(0),
        "PrivateNote": "Voided",
    }
    doc = normalize.invoice(raw, CTX)
    assert doc.status is Status.VOID
    assert not doc.deleted


def test_an_invoice_with_a_zero_total_but_no_void_note_is_not_void() -> None:
    raw = {**_doc("invoice.json", "Invoice"), "TotalAmt": Decimal(0), "Balance": Decimal(0)}
    assert normalize.invoice(raw, CTX).status is not Status.VOID


def test_a_float_amount_is_refused_naming_the_field() -> None:
    raw = {**_doc("invoice.json", "Invoice"), "TotalAmt": 150.1}
    with pytest.raises(RecordError, match="exact"):
        normalize.invoice(raw, CTX)


def test_a_cdc_deleted_entry_is_a_deleted_document() -> None:
    raw = {"Id": "239", "status": "Deleted", "MetaData": {"LastUpdatedTime": "2026-03-02T09:05:00-08:00"}}
    doc = normalize.deleted_entry(raw, CTX, DocumentKind.INVOICE)
    assert doc.deleted
    assert doc.status is Status.DELETED
