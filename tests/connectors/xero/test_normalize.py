"""Xero normalizers against Xero's own published examples (tests/fixtures/xero/docs, from the OpenAPI
description the api-notes cite as [47]), parsed as the HTTP loop parses them (numbers as Decimal)."""

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
from connectors.xero import normalize
from connectors.xero.dates import XeroDateError, parse_day, parse_instant
from connectors.xero.streams import SPECS
from store.canonical import Allocation, DocumentKind, PartyRef, Status

DOCS = Path(__file__).parents[2] / "fixtures" / "xero" / "docs"
CTX = NormalizeContext(source="xero", timezone=ZoneInfo("Pacific/Auckland"), base_currency="NZD")


def rows(name: str, key: str) -> list[dict[str, Any]]:
    body = parse_json((DOCS / name).read_text(encoding="utf-8"))
    found: list[dict[str, Any]] = body[key]
    return found


def test_ms_json_and_iso_dates_are_both_read_and_a_day_is_the_utc_day_not_the_companys() -> None:
    assert parse_instant("/Date(1700000000000+0000)/") == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert parse_instant("/Date(1541176290160+0000)/") == datetime(
        2018, 11, 2, 16, 31, 30, 160000, tzinfo=UTC
    )
    assert parse_instant("2018-11-02T16:31:30Z") == datetime(2018, 11, 2, 16, 31, 30, tzinfo=UTC)
    assert parse_instant("2018-11-02T16:31:30") == datetime(2018, 11, 2, 16, 31, 30, tzinfo=UTC)
    assert parse_instant("2020-02-06T12:17:43.202-08:00") == datetime(
        2020, 2, 6, 20, 17, 43, 202000, tzinfo=UTC
    )
    assert parse_instant("/Date(1539993600000)/") == datetime(2018, 10, 20, tzinfo=UTC)
    # Midnight UTC of 20 October is already the 21st in Auckland: the day stays the 20th.
    assert parse_day("/Date(1539993600000+0000)/") == date(2018, 10, 20)
    assert parse_day("2018-10-20T00:00:00") == date(2018, 10, 20)
    assert parse_day("/Date(1539993600000+1300)/") == date(2018, 10, 20)
    with pytest.raises(XeroDateError):
        parse_instant("20 Oct 2018")


def test_the_published_invoices_normalize_with_exact_money_status_number_and_contact_as_party() -> None:
    voided, paid, authorised = (normalize.invoice(r, CTX) for r in rows("invoices_get.json", "Invoices"))
    assert (voided.status, voided.raw_status, voided.number) == (Status.VOID, "VOIDED", "INV-0001")
    assert (paid.status, paid.total, paid.subtotal, paid.tax, paid.balance) == (
        Status.PAID, Decimal("46.00"), Decimal("40.00"), Decimal("6.00"), Decimal("0.00"),
    )  # fmt: skip
    assert str(paid.total) == "46.00"  # the JSON text's places, never a float
    assert authorised.status is Status.OPEN
    assert authorised.balance == Decimal("115.00")
    assert paid.party == PartyRef(
        external_id="a3675fc4-f8dd-4f03-ba5b-f1870566bcd7", name="Barney Rubble-83203"
    )
    assert (paid.issued_on, paid.due_on) == (date(2018, 10, 20), date(2018, 12, 30))
    assert paid.currency == "NZD"
    assert paid.exchange_rate == 1
    assert paid.references["reference"] == "Red Fish, Blue Fish"
    assert paid.source_modified_at == datetime(2018, 11, 2, 16, 36, 32, 690000, tzinfo=UTC)
    zero = Decimal(0)
    assert (paid.discount, paid.shipping, paid.adjustment, paid.rounding) == (zero, zero, zero, zero)
    assert paid.tax_inclusive is False


def test_the_published_payment_allocates_its_amount_to_its_invoice_and_keeps_its_batch() -> None:
    received = rows("payments_get.json", "Payments")[0]
    doc = normalize.payment(received, CTX)
    assert doc.kind is DocumentKind.PAYMENT
    assert doc.external_id == "99ea7f6b-c513-4066-bc27-b7c65dcd76c2"
    assert doc.allocations == (
        Allocation(invoice_external_id="046d8a6d-1ae1-4b4d-9340-5601bdf41b87", amount=Decimal("46.00")),
    )
    assert (doc.total, doc.balance, doc.currency, doc.status) == (
        Decimal("46.00"),
        Decimal(0),
        "NZD",
        Status.PAID,
    )
    assert doc.party is not None
    assert doc.party.name == "Barney Rubble-83203"
    assert doc.references["batch_payment"] == "b54aa50c-794c-461b-89d1-846e1b84d9c0"
    assert "reference" not in doc.references  # Reference "" is no reference


def test_the_published_credit_note_overpayment_and_prepayment_keep_unapplied_money() -> None:
    credit = normalize.credit_note(rows("credit_notes_get.json", "CreditNotes")[0], CTX)
    assert (credit.kind, credit.number, credit.total, credit.balance) == (
        DocumentKind.CREDIT_NOTE, "CN-0005", Decimal("34.50"), Decimal("32.50"),
    )  # fmt: skip
    over = [r for r in rows("overpayments_get.json", "Overpayments") if r["Type"] == "RECEIVE-OVERPAYMENT"]
    doc = normalize.overpayment(over[0], CTX)
    assert (doc.kind, doc.total, doc.balance, doc.status) == (
        DocumentKind.PAYMENT, Decimal("20.00"), Decimal("20.00"), Status.OPEN,
    )  # fmt: skip
    assert doc.references["unapplied"] == "overpayment"
    pre = normalize.prepayment(rows("prepayments_get.json", "Prepayments")[0], CTX)
    assert (pre.total, pre.balance, pre.references["unapplied"]) == (
        Decimal("3450.00"), Decimal("3450.00"), "prepayment",
    )  # fmt: skip


def test_the_published_contacts_and_items_become_customers_and_products() -> None:
    contacts = [normalize.contact(r, CTX) for r in rows("contacts_get.json", "Contacts")]
    assert all(c.kind is DocumentKind.CUSTOMER and c.status is Status.OPEN for c in contacts)
    assert all(c.party is not None and c.party.external_id == c.external_id for c in contacts)
    guitars = normalize.item(rows("items_get.json", "Items")[0], CTX)
    assert (guitars.number, guitars.lines[0].unit_price, guitars.lines[0].product) == (
        "123", Decimal("5000.00"), "Guitars",
    )  # fmt: skip


def test_every_published_list_row_of_the_receivable_side_normalizes() -> None:
    """Each stream's published example, filtered to the types the stream reads, normalizes whole."""
    for spec in SPECS.values():
        name = {"credit_notes": "credit_notes_get.json"}.get(spec.name, f"{spec.name}_get.json")
        listed = rows(name, spec.record_key)
        ours = [r for r in listed if spec.type_field is None or r.get(spec.type_field) in spec.types]
        assert ours, spec.name
        assert all(spec.normalizer(r, CTX).kind is spec.kind for r in ours)


def test_xero_currency_rate_is_inverted_into_the_base_per_unit_rate_unverified_direction() -> None:
    """UNVERIFIED in the notes: Xero's CurrencyRate read as units of the document's currency per unit
    of the base currency (0.625 USD per NZD -> 1.6 NZD per USD); Xero's own value kept beside it."""
    row = {
        **rows("invoices_get.json", "Invoices")[1],
        "CurrencyCode": "USD",
        "CurrencyRate": Decimal("0.625"),
    }
    doc = normalize.invoice(row, CTX)
    assert doc.exchange_rate == Decimal("1.6")
    assert doc.references["xero_currency_rate"] == "0.625"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"Total": 46.0}, "Total"),
        ({"Total": "46,00"}, "Total"),
        ({"Date": "yesterday"}, "Date"),
        ({"UpdatedDateUTC": None}, "UpdatedDateUTC"),
        ({"Contact": "Barney"}, "Contact"),
        ({"InvoiceID": None}, "InvoiceID"),
    ],
)
def test_a_broken_field_quarantines_the_record_naming_the_field(change: dict[str, Any], field: str) -> None:
    row = {**rows("invoices_get.json", "Invoices")[1], **change}
    row.pop("UpdatedDateUTCString", None)
    with pytest.raises(RecordError) as caught:
        normalize.invoice(row, CTX)
    assert caught.value.field == field
