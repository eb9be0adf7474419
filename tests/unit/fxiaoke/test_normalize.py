"""Fxiaoke records (realistic Chinese payload files) → canonical documents."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from connectors.base import NormalizeContext
from connectors.errors import RecordError
from connectors.fxiaoke import normalize as n
from connectors.http import parse_json
from store.canonical import Allocation, DocumentKind, Line, PartyRef, Status

FIXTURES = Path(__file__).parents[2] / "fixtures" / "fxiaoke"
CTX = NormalizeContext(source="fxiaoke", timezone=ZoneInfo("Asia/Shanghai"), base_currency="CNY")


def load(name: str) -> dict[str, Any]:
    return dict(parse_json((FIXTURES / name).read_text(encoding="utf-8")))


def test_a_sales_order_keeps_its_number_party_amounts_and_lines_in_id_order() -> None:
    doc = n.normalize_sales_order(load("sales_order.json"), CTX)

    assert doc.kind is DocumentKind.SALES_ORDER
    assert doc.external_id == "600e8b0f3bd5a50001c7e2a1"
    assert doc.number == "20210113-000042"
    assert doc.party == PartyRef(external_id="5f3a2c1e7c604a00017d9a10", name="上海申远贸易有限公司")
    assert doc.owner == "1001"
    assert doc.total == Decimal("25600.00")
    assert doc.subtotal == Decimal("25600.00")
    assert doc.balance == Decimal("5600.00")
    assert doc.currency == "CNY"
    assert doc.exchange_rate is None
    assert doc.status is Status.OPEN
    assert doc.raw_status == "normal"
    assert [line.product for line in doc.lines] == ["伺服电机 A103", "PLC控制器 B201"]
    assert doc.lines[0] == Line(
        product="伺服电机 A103",
        product_external_id="5e1b0c2d8a9f3c0001a2b3c4",
        quantity=Decimal("1.75"),
        unit_price=Decimal("12800.00"),
        amount=Decimal("22400.00"),
    )


def test_date_only_fields_are_the_date_in_shanghai_and_modification_times_are_utc() -> None:
    doc = n.normalize_sales_order(load("sales_order.json"), CTX)

    # 1610467200000 ms = 2021-01-12 16:00 UTC = 2021-01-13 00:00 in Shanghai (api-notes §8)
    assert doc.issued_on == date(2021, 1, 13)
    assert doc.source_modified_at == datetime(2021, 1, 13, 9, 30, 45, 871000, tzinfo=UTC)


def test_a_multi_currency_voided_order_takes_mc_currency_and_rate_and_reads_numeric_amounts() -> None:
    doc = n.normalize_sales_order(load("sales_order_usd.json"), CTX)

    assert doc.currency == "USD"
    assert doc.exchange_rate == Decimal("7.298000")
    assert doc.total == Decimal("1999.5")
    assert doc.status is Status.VOID
    assert doc.raw_status == "invalid"
    assert doc.owner is None
    assert doc.subtotal is None
    assert doc.balance is None
    assert doc.lines == ()


def test_a_payment_is_allocated_to_sales_orders_and_keeps_the_unallocated_rest_as_balance() -> None:
    doc = n.normalize_payment(load("payment.json"), CTX)

    assert doc.kind is DocumentKind.PAYMENT
    assert doc.number == "20200817-000023"  # 回款编号
    assert doc.issued_on == date(2018, 1, 31)  # payment_time 1517328000000 = 2018-01-31 00:00 CST
    assert doc.total == Decimal("30000.00")
    assert doc.allocations == (
        Allocation(
            invoice_external_id="600e8b0f3bd5a50001c7e2a1",
            amount=Decimal("20000.00"),
            target_kind=DocumentKind.SALES_ORDER,
        ),
        Allocation(
            invoice_external_id="600e8b0f3bd5a50001c7e2b9",
            amount=Decimal("8000.00"),
            target_kind=DocumentKind.SALES_ORDER,
        ),
    )
    assert doc.balance == Decimal("2000.00")
    assert doc.currency == "CNY"
    assert doc.exchange_rate == Decimal("1")
    assert doc.owner == "1002"
    assert doc.references == {}


def test_an_issued_invoice_application_is_numbered_by_its_invoice_no_and_links_its_order() -> None:
    doc = n.normalize_invoice_application(load("invoice_application_issued.json"), CTX)

    assert doc.kind is DocumentKind.INVOICE
    assert doc.number == "04412345"
    assert doc.references == {
        "invoice_application": "KP-202112-000031",
        "sales_order": "600e8b0f3bd5a50001c7e2a1",
    }
    assert doc.issued_on == date(2021, 12, 24)
    assert doc.total == Decimal("25600.00")
    assert doc.lines == (Line(amount=Decimal("25600.00"), tax=Decimal("2945.13")),)


def test_a_pending_invoice_application_is_a_draft_numbered_by_the_application_with_omitted_fields() -> None:
    doc = n.normalize_invoice_application(load("invoice_application_pending.json"), CTX)

    assert doc.number == "KP-202112-000032"
    assert doc.references == {"invoice_application": "KP-202112-000032"}
    assert doc.status is Status.DRAFT
    assert doc.issued_on is None
    assert doc.owner is None
    assert doc.lines == ()


def test_an_account_is_a_customer_named_by_its_customer_name() -> None:
    """客户名称 is the account's `name`."""
    doc = n.normalize_account(load("account.json"), CTX)

    assert doc.kind is DocumentKind.CUSTOMER
    assert doc.party == PartyRef(external_id="5f3a2c1e7c604a00017d9a10", name="上海申远贸易有限公司")
    assert doc.owner == "1001"
    assert doc.number is None


def test_an_account_in_the_high_seas_has_no_owner_and_a_voided_one_is_void() -> None:
    doc = n.normalize_account(load("account_high_seas.json"), CTX)

    assert doc.owner is None
    assert doc.status is Status.VOID


def test_a_product_is_one_line_of_name_code_and_price() -> None:
    doc = n.normalize_product(load("product.json"), CTX)

    assert doc.number == "P-0004"
    assert doc.lines == (
        Line(
            product="伺服电机 A103",
            product_external_id="5e1b0c2d8a9f3c0001a2b3c4",
            sku="P-0004",
            unit_price=Decimal("12800.00"),
            amount=Decimal("12800.00"),
        ),
    )


def test_a_product_taken_off_as_voided_by_product_status_is_void() -> None:
    raw = {**load("product.json"), "product_status": "99"}

    assert n.normalize_product(raw, CTX).status is Status.VOID


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"order_amount": "一万"}, "order_amount"),
        ({"order_amount": None}, "order_amount"),
        ({"last_modified_time": "yesterday"}, "last_modified_time"),
        ({"account_id": ""}, "account_id"),
        ({"mc_currency": "人民币"}, "mc_currency"),
        ({"order_amount": "12.34567"}, "order_amount"),
    ],
)
def test_a_bad_field_quarantines_the_record_with_a_reason_naming_it(
    change: dict[str, Any], field: str
) -> None:
    raw = {**load("sales_order.json"), **change}

    with pytest.raises(RecordError) as caught:
        n.normalize_sales_order(raw, CTX)

    assert caught.value.field == field


def test_a_bad_detail_row_names_the_detail_and_its_field() -> None:
    raw = load("payment.json")
    raw["details"]["OrderPaymentObj"][1]["payment_amount"] = "abc"

    with pytest.raises(RecordError) as caught:
        n.normalize_payment(raw, CTX)

    # rows are read in _id order: ...5f0 comes first
    assert caught.value.field == "details.OrderPaymentObj[0].payment_amount"


def test_normalizing_twice_gives_the_same_document() -> None:
    raw = load("payment.json")

    assert n.normalize_payment(raw, CTX) == n.normalize_payment(raw, CTX)
