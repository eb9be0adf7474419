"""Fxiaoke examples from the named sources (tests/fixtures/fxiaoke/docs) and the total components of
orders and invoice applications: amounts are tax-inclusive, an order's `discount` is a percent charged,
an application has no payment status of its own."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from connectors.base import NormalizeContext
from connectors.fxiaoke import normalize as n
from connectors.http import parse_json
from store.canonical import PartyRef, Status
from tests.total_identity import identity_total

DOCS = Path(__file__).parents[2] / "fixtures" / "fxiaoke" / "docs"
FIXTURES = DOCS.parent
CTX = NormalizeContext(source="fxiaoke", timezone=ZoneInfo("Asia/Shanghai"), base_currency="CNY")
SERVER_ASSIGNED = {
    "_id": "5ffd0000784bf00001ef2000",
    "name": "20210113-000001",
    "last_modified_time": 1610530245871,
}
"""A create payload has no id, number or modification time (the server assigns them): the test adds these
three bookkeeping keys and nothing else."""


def load(name: str, folder: Path = DOCS) -> dict[str, Any]:
    return dict(parse_json((folder / name).read_text(encoding="utf-8")))


def test_the_published_sales_order_payload_reads_as_an_undiscounted_tax_inclusive_order() -> None:
    sample = load("sales_order_create_payload.json")
    raw = {**sample["object_data"], "details": sample["details"], **SERVER_ASSIGNED}

    doc = n.normalize_sales_order(raw, CTX)

    assert doc.party == PartyRef(external_id="5ffcf609784bf00001ef16db", name=None)
    assert doc.issued_on == date(2021, 1, 13)
    assert (doc.subtotal, doc.total, doc.balance) == (Decimal("0.00"), Decimal(0), Decimal("0.00"))
    assert doc.discount == 0  # "100" = 100% charged = no discount
    assert (doc.shipping, doc.adjustment, doc.rounding) == (Decimal(0), Decimal(0), Decimal(0))
    assert doc.tax_inclusive is True
    assert identity_total(doc) == doc.total
    assert [line.product for line in doc.lines] == ["印章柜-顶盖（单）"]


def test_the_published_payment_example_reads_as_a_payment_with_no_total_identity() -> None:
    """The stored copy of the example is cut before `account_id` and `last_modified_time`; the test adds
    those two (they are required) and nothing else."""
    row = load("payment_query_response.json")["data"]["dataList"][0]
    raw = {**row, "account_id": "5e0000000000000000000001", "last_modified_time": 1597652454276}

    doc = n.normalize_payment(raw, CTX)

    assert (doc.number, doc.total, doc.balance) == ("20200817-000023", Decimal("1.00"), Decimal("1.00"))
    assert doc.party == PartyRef(external_id="5e0000000000000000000001", name="002测试")
    assert doc.issued_on == date(2018, 1, 31)  # 1517328000000 ms = 2018-01-31 00:00 +08:00
    assert doc.references == {"sales_order": "5eddcb5124c81d0001a4b0fd"}
    assert (doc.discount, doc.tax_inclusive) == (None, None)


@pytest.mark.parametrize(
    ("product_amount", "percent", "discount"),
    [
        ("25600.00", "95", Decimal("1280.00")),
        ("25600.00", "100", Decimal("0.00")),
        ("999.99", "87.5", Decimal("125.00")),  # 874.99125 charged -> 874.99 to the cent
        ("0.10", "95", Decimal("0.00")),  # 0.095 charged -> 0.10: the discount is what the rounding left
        ("1000.00", "0", Decimal("1000.00")),
    ],
)
def test_an_order_discount_is_the_product_amount_less_the_charged_amount_to_the_cent(
    product_amount: str, percent: str, discount: Decimal
) -> None:
    raw = {**load("sales_order.json", FIXTURES), "product_amount": product_amount, "discount": percent}
    raw["order_amount"] = str(Decimal(product_amount) - discount)

    doc = n.normalize_sales_order(raw, CTX)

    assert doc.discount == discount
    assert identity_total(doc) == doc.total


def test_an_order_whose_percent_was_rounded_from_its_amounts_gets_their_difference_as_discount() -> None:
    # 132116.17 / 132028.17 = 100.0666 %, kept as "100.07": the percent says -92.42, the amounts -88.00.
    raw = {
        **load("sales_order.json", FIXTURES),
        "product_amount": "132028.17",
        "order_amount": "132116.17",
        "discount": "100.07",
    }

    doc = n.normalize_sales_order(raw, CTX)

    assert doc.discount == Decimal("-88.00")
    assert identity_total(doc) == doc.total


def test_an_order_whose_amounts_disagree_with_its_percent_keeps_the_percents_discount() -> None:
    raw = {
        **load("sales_order.json", FIXTURES),
        "product_amount": "10000.00",
        "order_amount": "9600.00",
        "discount": "95",
    }

    doc = n.normalize_sales_order(raw, CTX)

    assert doc.discount == Decimal("500.00")
    assert identity_total(doc) == Decimal("9500.00") != doc.total


def test_an_order_without_its_discount_percent_has_an_unknown_discount() -> None:
    raw = {k: v for k, v in load("sales_order.json", FIXTURES).items() if k != "discount"}

    doc = n.normalize_sales_order(raw, CTX)

    assert doc.discount is None
    assert identity_total(doc) is None


def test_a_live_invoice_application_has_an_unknown_status_and_inclusive_tax_kept_on_its_lines() -> None:
    doc = n.normalize_invoice_application(load("invoice_application_issued.json", FIXTURES), CTX)

    assert (doc.status, doc.raw_status) == (Status.UNKNOWN, "normal")
    assert (doc.total, doc.tax, doc.subtotal, doc.tax_inclusive) == (Decimal("25600.00"), None, None, True)
    assert sum(line.tax or 0 for line in doc.lines) == Decimal("2945.13")


def test_an_application_in_change_is_unknown_and_drafts_and_void_ones_keep_their_status() -> None:
    base = load("invoice_application_issued.json", FIXTURES)
    status = {
        life: n.normalize_invoice_application({**base, "life_status": life}, CTX).status
        for life in ("in_change", "under_review", "ineffective", "invalid")
    }

    assert status == {
        "in_change": Status.UNKNOWN,
        "under_review": Status.DRAFT,
        "ineffective": Status.DRAFT,
        "invalid": Status.VOID,
    }


def test_an_application_shows_no_document_tax_even_when_every_line_carries_one() -> None:
    raw = load("invoice_application_issued.json", FIXTURES)

    doc = n.normalize_invoice_application(raw, CTX)

    assert all(line.tax is not None for line in doc.lines)
    assert doc.tax is None
