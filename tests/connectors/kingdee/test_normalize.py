"""Kingdee normalizers from the fixture rows (tests/fixtures/kingdee): one document per bill with its
lines, status letters, currency numbers, tax-inclusive money, receipts' allocations."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from connectors.errors import RecordError
from connectors.kingdee import normalize as n
from connectors.kingdee.query import ENTRIES
from store.canonical import DocumentKind, Status
from tests.connectors.kingdee.support import CONTEXT, sale_order_rows

_LINE_KEYS = set(n.ORDER_FIELDS.lines())


def _bill(rows: list[dict[str, Any]]) -> dict[str, Any]:
    header = {k: v for k, v in rows[0].items() if k not in _LINE_KEYS}
    return {**header, ENTRIES: [{k: r[k] for k in _LINE_KEYS} for r in rows]}


def test_an_audited_sales_order_is_open_tax_inclusive_and_totals_its_lines() -> None:
    rows = sale_order_rows()
    doc = n.sales_order(_bill(rows[:2]), CONTEXT)
    assert (doc.kind, doc.external_id, doc.number) == (DocumentKind.SALES_ORDER, "100001", "XSDD000001")
    assert (doc.status, doc.raw_status) == (Status.OPEN, "C/A")
    assert doc.party is not None
    assert (doc.party.external_id, doc.party.name) == ("200301", "上海明远贸易有限公司")
    assert (doc.currency, doc.exchange_rate, doc.tax_inclusive) == ("CNY", Decimal("1.0"), True)
    assert (doc.total, doc.subtotal, doc.tax) == (Decimal("1500.00"), Decimal("1500.00"), Decimal("143.34"))
    assert [(ln.sku, ln.quantity, ln.unit_price, ln.amount, ln.tax) for ln in doc.lines] == [
        ("MAT-0001", Decimal("10.0"), Decimal("100.0"), Decimal("1000.00"), Decimal("115.04")),
        ("MAT-0002", Decimal("1.0"), Decimal("500.0"), Decimal("500.00"), Decimal("28.30")),
    ]
    assert doc.issued_on == date(2026, 11, 2)
    assert doc.source_modified_at == datetime(2026, 11, 2, 2, 15, 30, 447000, tzinfo=UTC)  # Shanghai time
    assert doc.references == {"local_currency": "CNY", "local_total": "1500.00", "organization": "100"}


def test_a_created_bill_in_a_foreign_currency_is_a_draft_with_its_rate_kept() -> None:
    doc = n.sales_order(_bill(sale_order_rows()[2:]), CONTEXT)
    assert (doc.status, doc.raw_status) == (Status.DRAFT, "A/A")
    assert (doc.currency, doc.exchange_rate, doc.total) == ("USD", Decimal("7.1"), Decimal("31.64"))
    assert doc.references["local_total"] == "224.64"


@pytest.mark.parametrize(
    ("letters", "status"),
    [(("Z", None), Status.DRAFT), (("B", "A"), Status.DRAFT), (("D", "A"), Status.DRAFT),
     (("C", "A"), Status.OPEN), (("C", "B"), Status.VOID), (("A", "B"), Status.VOID)],
)  # fmt: skip
def test_only_audited_bills_are_booked_and_cancelled_ones_are_void(
    letters: tuple[str, str | None], status: Status
) -> None:
    bill = {**_bill(sale_order_rows()[:1]), "FDocumentStatus": letters[0], "FCancelStatus": letters[1]}
    assert n.sales_order(bill, CONTEXT).status is status


def test_a_price_with_more_places_than_the_ledger_keeps_leaves_the_line_amount_exact() -> None:
    row = {**sale_order_rows()[0], "FTaxPrice": Decimal("100.123456")}
    doc = n.sales_order(_bill([row]), CONTEXT)
    assert (doc.lines[0].unit_price, doc.lines[0].amount) == (None, Decimal("1000.00"))


def test_a_float_amount_or_an_unknown_status_is_refused_naming_the_field() -> None:
    row = {**sale_order_rows()[0], "FAllAmount": 1000.0}
    with pytest.raises(RecordError, match=r"entries\[0\]\.FAllAmount"):
        n.sales_order(_bill([row]), CONTEXT)
    with pytest.raises(RecordError, match="FDocumentStatus"):
        n.sales_order({**_bill(sale_order_rows()[:1]), "FDocumentStatus": "X"}, CONTEXT)
    with pytest.raises(RecordError, match="FModifyDate"):
        n.sales_order({**_bill(sale_order_rows()[:1]), "FModifyDate": None}, CONTEXT)


def test_a_receipt_allocates_to_receivables_and_orders_by_source_bill() -> None:
    raw = {
        "FormId": "AR_RECEIVEBILL", "FID": 900001, "FBillNo": "SKD000001", "FDate": "2026-11-05T00:00:00",
        "FModifyDate": "2026-11-05T11:00:00", "FDocumentStatus": "C", "FCancelStatus": "A",
        "FCONTACTUNIT": 200301, "FCONTACTUNIT.FName": "上海明远贸易有限公司", "FSaleOrgId.FNumber": "100",
        "FCURRENCYID.FCode": "PRE001", "FExchangeRate": Decimal("1"), "FMAINBOOKCURID.FCode": "CNY",
        "FRECAMOUNTFOR": Decimal("1300.00"), "FRECAMOUNT": Decimal("1300.00"),
        ENTRIES: [
            {"FSRCBILLTYPEID": "AR_receivable", "FSRCBILLID": 500001, "FSRCBILLNO": "AR001",
             "FREALRECAMOUNT": Decimal("700.00")},
            {"FSRCBILLTYPEID": "AR_receivable", "FSRCBILLID": 500001, "FSRCBILLNO": "AR001",
             "FREALRECAMOUNT": Decimal("300.00")},
            {"FSRCBILLTYPEID": "SAL_SaleOrder", "FSRCBILLID": 100001, "FSRCBILLNO": "XSDD000001",
             "FREALRECAMOUNT": Decimal("200.00")},
        ],
    }  # fmt: skip
    doc = n.receipt(raw, CONTEXT)
    assert (doc.kind, doc.status, doc.total, doc.currency) == (
        DocumentKind.PAYMENT, Status.PAID, Decimal("1300.00"), "CNY",
    )  # fmt: skip
    assert [(a.invoice_external_id, a.target_kind, a.amount) for a in doc.allocations] == [
        ("500001", DocumentKind.INVOICE, Decimal("1000.00")),
        ("100001", DocumentKind.SALES_ORDER, Decimal("200.00")),
    ]


def test_a_vat_invoice_is_keyed_by_its_form_and_names_the_receivable_it_invoices() -> None:
    raw = {
        "FormId": "IV_SALESIC", "FID": 700001, "FBillNo": "XSZP000001", "FIVNUMBER": "04412345",
        "FDate": "2026-11-06T00:00:00", "FModifyDate": "2026-11-06T09:00:00", "FDocumentStatus": "C",
        "FCUSTOMERID": 200301, "FCURRENCYID.FCode": "CNY", "FAFTERTOTALTAXFOR": Decimal("1130.00"),
        "FTAXAMOUNTFOR": Decimal("130.00"),
        ENTRIES: [{"FMATERIALID": 300501, "FPRICEQTY": Decimal("1"), "FAUXTAXPRICE": Decimal("1130"),
                   "FDETAILTAXAMOUNTFOR": Decimal("130.00"), "FALLAMOUNTFOR": Decimal("1130.00"),
                   "FSRCBILLTYPEID": "AR_receivable", "FSRCBILLID": 500001, "FSRCBILLNO": "AR001"}],
    }  # fmt: skip
    doc = n.sales_invoice(raw, CONTEXT)
    assert (doc.kind, doc.external_id, doc.total) == (
        DocumentKind.INVOICE,
        "IV_SALESIC:700001",
        Decimal("1130.00"),
    )
    assert (doc.tax, doc.lines[0].amount, doc.lines[0].unit_price) == (
        Decimal("130.00"), Decimal("1130.00"), Decimal("1130"),
    )  # fmt: skip
    assert doc.references == {
        "vat_form": "IV_SALESIC",
        "vat_number": "04412345",
        "receivable_number": "AR001",
    }


def test_customers_and_materials_are_keyed_by_their_own_ids_and_a_forbidden_one_is_void() -> None:
    base = {"FNumber": "C001", "FName": "Acme", "FModifyDate": "2026-11-01T00:00:00", "FDocumentStatus": "C",
            "FForbidStatus": "A", "FUseOrgId.FNumber": "100"}  # fmt: skip
    customer = n.customer({**base, "FCUSTID": 200301}, CONTEXT)
    assert (customer.external_id, customer.number, customer.status) == ("200301", "C001", Status.OPEN)
    assert customer.party is not None
    assert customer.party.name == "Acme"
    material = n.material({**base, "FMATERIALID": 300501, "FForbidStatus": "B"}, CONTEXT)
    assert (material.kind, material.external_id, material.status) == (
        DocumentKind.PRODUCT,
        "300501",
        Status.VOID,
    )
