"""Zoho's own published API examples (tests/fixtures/zoho/docs) through the normalizers: what the
canonical totals and components are, and whether the published total adds up
(total = subtotal - discount + shipping + adjustment + rounding, + tax when exclusive)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from connectors.base import NormalizeContext
from connectors.errors import RecordError
from connectors.http import parse_json
from connectors.zoho import normalize
from store.canonical import PartyRef
from tests.total_identity import identity_total

DOCS = Path(__file__).parents[2] / "fixtures" / "zoho" / "docs"
FIXTURES = DOCS.parent
CTX = NormalizeContext(source="zoho", timezone=ZoneInfo("Asia/Shanghai"), base_currency="USD")


def load(name: str, folder: Path = DOCS) -> Any:
    return parse_json((folder / name).read_text(encoding="utf-8"))


# ----------------------------------------------------------------------------- Books "Get an invoice"


def test_the_published_books_invoice_reads_with_its_item_level_discount_not_repeated() -> None:
    doc = normalize.books_invoice(load("books_invoice_get.json")["invoice"], CTX)

    assert (doc.external_id, doc.number) == ("982000000567114", "INV-00003")
    assert doc.party == PartyRef(external_id="982000000567001", name="Bowman & Co")
    assert (doc.subtotal, doc.tax, doc.total, doc.balance) == (
        Decimal(10000),
        Decimal("22.6"),
        Decimal(10000),
        Decimal("40.6"),
    )
    assert doc.discount == 0  # discount_type item_level: inside item_total and sub_total already
    assert (doc.shipping, doc.adjustment, doc.tax_inclusive) == (Decimal(0), Decimal(0), False)
    assert doc.rounding is None  # the example has no roundoff_value: unknown, not 0


def test_the_published_books_invoice_is_internally_inconsistent_so_its_identity_is_not_claimed() -> None:
    """Zoho's example does not add up: sub_total 10000 + tax_total 22.6 is not total 10000, its one line's
    item_total is 120 (not 10000), and its taxes[] say 19.13 (not 22.6). The normalizer must not hide
    that; with roundoff_value absent the audit skips it (unknown), and even reading rounding as 0 the
    identity would (rightly) not hold."""
    raw = load("books_invoice_get.json")["invoice"]
    doc = normalize.books_invoice(raw, CTX)

    assert identity_total(doc) is None
    assert identity_total(doc.model_copy(update={"rounding": Decimal(0)})) == Decimal("10022.6") != doc.total
    assert sum(line.amount for line in doc.lines) == Decimal(120) != doc.subtotal
    assert sum(Decimal(str(t["tax_amount"])) for t in raw["taxes"]) != doc.tax


# ----------------------------------------------------------------------------- CRM response structures


def test_the_published_crm_sales_order_reads_discount_tax_and_grand_total() -> None:
    doc = normalize.crm_sales_order(load("crm_sales_order_response.json")["data"][0], CTX)

    assert (doc.external_id, doc.party) == (
        "3652397000000491196",
        PartyRef(external_id="3652397000000190098", name="Chapman"),
    )
    assert (doc.discount, doc.tax, doc.total) == (Decimal(5000), Decimal(19950), Decimal(114950))
    assert (doc.shipping, doc.rounding, doc.tax_inclusive) == (Decimal(0), Decimal(0), False)
    # the transcribed part of the page has neither Sub_Total nor Adjustment: unknown, so no audit claim
    assert (doc.subtotal, doc.adjustment) == (None, None)
    assert identity_total(doc) is None


def test_the_published_crm_invoice_reads_its_components_and_points_at_the_published_sales_order() -> None:
    doc = normalize.crm_invoice(load("crm_invoice_response.json")["data"][0], CTX)

    assert (doc.discount, doc.tax, doc.adjustment, doc.total) == (
        Decimal(5000),
        Decimal(2850),
        Decimal(0),
        Decimal(97850),
    )
    assert doc.references == {"sales_order": "3652397000000491196"}
    assert doc.subtotal is None  # not in the transcribed part of the page
    assert identity_total(doc) is None


# ----------------------------------------------------------------------------- CRM components


def _crm_order(**fields: Any) -> dict[str, Any]:
    return {**load("crm_sales_order_v8.json", FIXTURES), **fields}


def test_a_crm_grand_total_is_sub_total_minus_discount_plus_tax_plus_adjustment() -> None:
    raw = _crm_order(Sub_Total=12800, Discount=800, Tax=1560, Adjustment=-0.5, Grand_Total=13559.5)
    raw = {k: (Decimal(str(v)) if isinstance(v, float) else v) for k, v in raw.items()}

    doc = normalize.crm_sales_order(raw, CTX)

    assert (doc.discount, doc.adjustment) == (Decimal(800), Decimal("-0.5"))
    assert identity_total(doc) == doc.total == Decimal("13559.5")


def test_a_crm_discount_sent_as_null_is_none_given_and_one_not_requested_is_unknown() -> None:
    sent_null = normalize.crm_sales_order(_crm_order(Discount=None, Adjustment=None), CTX)
    not_requested = normalize.crm_sales_order(load("crm_sales_order_v8.json", FIXTURES), CTX)

    assert (sent_null.discount, sent_null.adjustment) == (Decimal(0), Decimal(0))
    assert identity_total(sent_null) == sent_null.total  # the fixture's 12800 + 1664 = 14464
    assert (not_requested.discount, not_requested.adjustment) == (None, None)
    assert identity_total(not_requested) is None


def test_a_non_zero_crm_excise_duty_leaves_the_identity_unknown_rather_than_guessed() -> None:
    """[verify] Zoho does not document whether Excise_Duty is inside Grand_Total."""
    doc = normalize.crm_invoice(
        {
            **load("crm_invoice_v8_lowercase_usd.json", FIXTURES),
            "Discount": 0,
            "Adjustment": 0,
            "Excise_Duty": 12,
        },
        CTX,
    )

    assert doc.adjustment is None
    assert identity_total(doc) is None


# ----------------------------------------------------------------------------- Books components


def _books(**fields: Any) -> dict[str, Any]:
    return {**load("books_invoice_get.json")["invoice"], **fields}


@pytest.mark.parametrize(
    ("fields", "discount"),
    [
        ({"discount_type": "entity_level", "discount_amount": 250, "discount_total": 999}, Decimal(250)),
        ({"discount_type": "entity_level", "discount_total": 125.5}, Decimal("125.5")),
        ({"discount_type": "entity_level"}, None),
        ({"discount_type": "item_level", "discount_total": 40}, Decimal(0)),
        ({"discount_type": None, "discount_amount": 0}, Decimal(0)),
        ({"discount_type": None, "discount_amount": 10}, None),
    ],
    ids=["entity-amount", "entity-total", "entity-absent", "item-level", "untyped-zero", "untyped-amount"],
)
def test_a_books_document_discount_follows_the_discount_type(fields: dict[str, Any], discount: Any) -> None:
    raw = {k: (Decimal(str(v)) if isinstance(v, float) else v) for k, v in _books(**fields).items()}

    assert normalize.books_invoice(raw, CTX).discount == discount


def test_a_consistent_books_invoice_with_every_component_satisfies_the_identity() -> None:
    """Entity-level discount before tax, shipping, a negative adjustment and a rounding, tax exclusive:
    1000 - 100 + 25 - 3 + 0.4 + 117 (13% on 900) = 1039.40."""
    raw = _books(
        line_items=[],
        sub_total=1000,
        discount_type="entity_level",
        discount_amount=100,
        is_discount_before_tax=True,
        shipping_charge="25.00",
        adjustment=-3,
        roundoff_value=Decimal("0.4"),
        tax_total=117,
        total=Decimal("1039.40"),
    )

    doc = normalize.books_invoice(raw, CTX)

    assert identity_total(doc) == doc.total


def test_tax_inclusive_books_pricing_keeps_the_tax_inside_the_subtotal() -> None:
    raw = _books(
        line_items=[], is_inclusive_tax=True, sub_total=1130, tax_total=130, total=1130, roundoff_value=0
    )

    doc = normalize.books_invoice(raw, CTX)

    assert doc.tax_inclusive is True
    assert identity_total(doc) == doc.total == Decimal(1130)


def test_books_fields_absent_from_a_list_row_stay_unknown_and_no_rounding_is_zero() -> None:
    row = load("books_invoice_list_row.json", FIXTURES)

    listed = normalize.books_invoice(row, CTX)
    unrounded = normalize.books_invoice({**row, "transaction_rounding_type": "no_rounding"}, CTX)

    assert (listed.discount, listed.shipping, listed.adjustment, listed.rounding, listed.tax_inclusive) == (
        None,
        None,
        None,
        None,
        None,
    )
    assert unrounded.rounding == 0


def test_indian_tds_inside_a_books_total_leaves_the_identity_unknown_instead_of_raising_noise() -> None:
    """A real Books document (India): total 52650 = sub_total 45000 + tax 8100 - TDS 450. TDS has no
    canonical component; read naively the identity would flag a 450 difference that is no error."""
    raw = _books(
        line_items=[{"name": "Meme Marketing", "item_total": 45000, "tds_tax_amount": 450}],
        tds_summary=[{"tds_name": "Payment of contractors HUF/Indiv", "tds_amount": 450}],
        discount_type="entity_level",
        discount_amount=0,
        sub_total=45000,
        tax_total=8100,
        total=52650,
        roundoff_value=0,
    )

    doc = normalize.books_invoice(raw, CTX)

    assert doc.adjustment is None
    assert identity_total(doc) is None
    assert identity_total(doc.model_copy(update={"adjustment": Decimal(0)})) == Decimal(53100) != doc.total


def test_a_books_sales_order_and_credit_note_carry_the_same_components() -> None:
    fields = {"sub_total": 200, "tax_total": 26, "total": 226, "discount_type": "item_level",
              "shipping_charge": 0, "adjustment": 0, "roundoff_value": 0, "is_inclusive_tax": False}  # fmt: skip
    order = normalize.books_sales_order(
        {"salesorder_id": "1", "last_modified_time": "2026-11-01T10:00:00+0800", **fields}, CTX
    )
    credit = normalize.books_credit_note(
        {**load("books_credit_note_detail.json", FIXTURES)["creditnote"], **fields}, CTX
    )

    assert identity_total(order) == order.total == Decimal(226)
    assert identity_total(credit) == credit.total == Decimal(226)


def test_a_books_flag_that_is_not_a_boolean_is_rejected_naming_the_field() -> None:
    with pytest.raises(RecordError) as caught:
        normalize.books_invoice(_books(is_inclusive_tax="yes"), CTX)

    assert caught.value.field == "is_inclusive_tax"
