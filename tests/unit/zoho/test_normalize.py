"""Zoho normalizers, from recorded-style payload files (tests/fixtures/zoho)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from connectors.base import NormalizeContext
from connectors.errors import RecordError
from connectors.http import parse_json
from connectors.zoho import normalize
from store.canonical import Allocation, DocumentKind, Line, PartyRef, Status

FIXTURES = Path(__file__).parents[2] / "fixtures" / "zoho"
CTX = NormalizeContext(source="zoho-crm", timezone=ZoneInfo("Asia/Shanghai"), base_currency="CNY")


def load(name: str) -> Any:
    return parse_json((FIXTURES / name).read_text(encoding="utf-8"))


def test_a_crm_sales_order_keeps_chinese_names_lines_and_converts_its_offset_to_utc() -> None:
    doc = normalize.crm_sales_order(load("crm_sales_order_v8.json"), CTX)

    assert doc.kind is DocumentKind.SALES_ORDER
    assert doc.external_id == "5725769000001234567"
    assert doc.number == "SO-2026-0042"
    assert doc.party == PartyRef(external_id="5725767000000411001", name="上海明辉贸易有限公司")
    assert doc.owner == "王芳"
    assert doc.source_modified_at == datetime(2026, 11, 20, 1, 15, 27, tzinfo=UTC)
    assert doc.issued_on == date(2026, 11, 2)  # Created_Time's date in the company's zone
    assert (doc.subtotal, doc.tax, doc.total) == (
        Decimal("12800.00"),
        Decimal("1664.00"),
        Decimal("14464.00"),
    )
    assert (doc.currency, doc.exchange_rate) == ("CNY", Decimal(1))
    assert (doc.status, doc.raw_status) == (Status.OPEN, "Approved")
    assert doc.references == {"quote": "5725767000000520001"}
    assert doc.lines == (
        Line(
            product="工业传感器 A1",
            product_external_id="5725768000000000000",
            sku="SEN-A1",
            description="按合同交付",
            quantity=Decimal(10),
            unit_price=Decimal("1280.00"),
            amount=Decimal("12800.00"),
            tax=Decimal("1664.00"),
        ),
    )


def test_a_crm_invoice_with_lowercase_line_keys_nulls_and_a_negative_offset_is_read_the_same_way() -> None:
    doc = normalize.crm_invoice(load("crm_invoice_v8_lowercase_usd.json"), CTX)

    assert doc.source_modified_at == datetime(2026, 11, 20, 0, 5, 9, tzinfo=UTC)
    assert doc.references == {"sales_order": "5725769000001234567"}
    assert (doc.currency, doc.exchange_rate) == ("USD", Decimal("7.1234"))
    assert (doc.status, doc.raw_status) == (Status.PARTIALLY_PAID, "Partially Paid")
    assert doc.due_on is None
    assert doc.tax is None
    assert doc.issued_on == date(2026, 11, 18)
    (line,) = doc.lines
    assert (line.quantity, line.unit_price, line.amount, line.tax) == (
        Decimal(2),
        Decimal("599.90"),
        Decimal("1099.80"),  # after the line discount
        None,
    )
    assert line.description is None


def test_a_v2_style_product_details_list_is_read_deliberately_when_the_v8_subform_is_absent() -> None:
    doc = normalize.crm_invoice(load("crm_invoice_v2_product_details.json"), CTX)

    assert doc.party == PartyRef(external_id="5725767000000411003", name="Müller & Söhne GmbH")
    assert doc.owner == "James O'Brien"
    assert doc.lines == (
        Line(
            product="Cable kit, 5 m",
            product_external_id="5725768000000000002",
            sku="CBL-5M",
            description="Delivered per contract",
            quantity=Decimal(10),
            unit_price=Decimal("89.90"),
            amount=Decimal("899.00"),
            tax=Decimal("53.94"),
        ),
    )
    assert doc.source_modified_at == datetime(2026, 10, 5, 4, 30, tzinfo=UTC)


def test_the_v8_subform_wins_over_a_stray_product_details_list() -> None:
    raw = {**load("crm_invoice_v8_lowercase_usd.json"), "Product_Details": [{"total": 1}]}

    assert normalize.crm_invoice(raw, CTX).lines[0].amount == Decimal("1099.80")


def test_an_unknown_crm_status_stays_open_and_keeps_the_raw_picklist_value() -> None:
    raw = {**load("crm_sales_order_v8.json"), "Status": "待审批"}

    doc = normalize.crm_sales_order(raw, CTX)

    assert (doc.status, doc.raw_status) == (Status.OPEN, "待审批")


def test_an_account_becomes_a_customer_named_by_its_own_party() -> None:
    doc = normalize.crm_account(load("crm_account.json"), CTX)

    assert doc.kind is DocumentKind.CUSTOMER
    assert doc.party == PartyRef(external_id="5725767000000411001", name="上海明辉贸易有限公司")
    assert doc.number == "ACC-0001"


def test_an_inactive_product_is_void_and_described_by_one_line() -> None:
    doc = normalize.crm_product(load("crm_product_inactive.json"), CTX)

    assert doc.kind is DocumentKind.PRODUCT
    assert doc.status is Status.VOID
    assert doc.number == "CM-200"
    assert doc.lines[0].product == "控制模块 CM-200（停产）"
    assert doc.lines[0].unit_price == Decimal("3450.50")


def test_a_record_without_modified_time_is_rejected_naming_the_field() -> None:
    raw = {k: v for k, v in load("crm_sales_order_v8.json").items() if k != "Modified_Time"}

    with pytest.raises(RecordError) as caught:
        normalize.crm_sales_order(raw, CTX)

    assert caught.value.field == "Modified_Time"


def test_a_line_without_any_total_is_rejected_naming_the_line() -> None:
    raw = load("crm_sales_order_v8.json")
    raw["Ordered_Items"][0] = {"Product_Name": {"id": "1", "name": "x"}, "Quantity": 1}

    with pytest.raises(RecordError) as caught:
        normalize.crm_sales_order(raw, CTX)

    assert caught.value.field == "Ordered_Items[0].total_after_discount"


def test_a_float_amount_is_rejected_rather_than_rounded() -> None:
    raw = {**load("crm_sales_order_v8.json"), "Grand_Total": 0.1}

    with pytest.raises(RecordError) as caught:
        normalize.crm_sales_order(raw, CTX)

    assert caught.value.field == "Grand_Total"


def test_an_offset_less_modified_time_is_rejected() -> None:
    raw = {**load("crm_sales_order_v8.json"), "Modified_Time": "2026-11-20T09:15:27"}

    with pytest.raises(RecordError, match="offset"):
        normalize.crm_sales_order(raw, CTX)


def test_a_books_invoice_row_keeps_balance_reference_and_colonless_offset_time() -> None:
    doc = normalize.books_invoice(load("books_invoice_list_row.json"), CTX)

    assert doc.number == "INV-000777"
    assert doc.party == PartyRef(external_id="460000000000101", name="杭州青禾食品有限公司")
    assert (doc.total, doc.balance) == (Decimal("14464.00"), Decimal("7232.00"))
    assert (doc.status, doc.raw_status) == (Status.PARTIALLY_PAID, "partially_paid")
    assert doc.references == {"reference_number": "SO-2026-0042"}
    assert doc.owner is None  # an empty salesperson_name is no owner
    assert doc.source_modified_at == datetime(2026, 11, 20, 8, 45, 10, tzinfo=UTC)
    assert doc.lines == ()


def test_a_books_payment_allocates_applied_amounts_and_keeps_the_unused_part_as_balance() -> None:
    doc = normalize.books_payment(load("books_customer_payment_detail.json")["payment"], CTX)

    assert doc.kind is DocumentKind.PAYMENT
    assert doc.total == Decimal("9000.00")
    assert doc.balance == Decimal("1768.00")
    # the zero application to INV-000790 is not an allocation
    assert doc.allocations == (Allocation(invoice_external_id="460000000012345", amount=Decimal("7232.00")),)
    assert (doc.status, doc.raw_status) == (Status.PAID, "success")
    assert doc.issued_on == date(2026, 11, 21)


def test_a_books_credit_note_allocates_what_it_credited() -> None:
    doc = normalize.books_credit_note(load("books_credit_note_detail.json")["creditnote"], CTX)

    assert doc.kind is DocumentKind.CREDIT_NOTE
    assert doc.allocations == (Allocation(invoice_external_id="460000000012400", amount=Decimal("150.00")),)
    assert (doc.status, doc.raw_status) == (Status.PAID, "closed")
    assert doc.references == {}
    assert doc.source_modified_at == datetime(2026, 11, 22, 8, 2, 3, tzinfo=UTC)


def test_normalizing_twice_gives_the_same_document() -> None:
    raw = load("crm_invoice_v8_lowercase_usd.json")

    assert normalize.crm_invoice(raw, CTX) == normalize.crm_invoice(raw, CTX)
