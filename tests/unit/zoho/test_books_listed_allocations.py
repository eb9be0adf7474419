"""Which Books payment list rows say their allocations without a detail read (issue 14 §5)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connectors.zoho.books import InvoiceNumbers, derived_allocations, listed_invoice_numbers


def row(numbers: Any, amount: Any = "300.00", unused: Any = "0.00", **extra: Any) -> dict[str, Any]:
    return {"payment_id": "9", "amount": amount, "unused_amount": unused, "invoice_numbers": numbers,
            "currency_code": "CNY", **extra}  # fmt: skip


def known(*invoices: tuple[str, str, str]) -> InvoiceNumbers:
    numbers = InvoiceNumbers()
    numbers.learn(
        [{"invoice_number": n, "invoice_id": i, "total": t, "currency_code": "CNY"} for n, i, t in invoices]
    )
    return numbers


def test_one_invoice_and_nothing_unused_applies_the_whole_amount_to_that_invoice() -> None:
    derived = derived_allocations(row("INV-1"), known(("INV-1", "11", "500.00")))

    assert derived == [{"invoice_id": "11", "invoice_number": "INV-1", "amount_applied": "300.00"}]


def test_a_payment_naming_no_invoice_and_all_unused_applies_nothing() -> None:
    assert derived_allocations(row("", unused="300.00"), known()) == []


def test_several_invoices_whose_totals_make_the_amount_each_get_their_total() -> None:
    numbers = known(("INV-1", "11", "100.00"), ("INV-2", "12", "200"))

    derived = derived_allocations(row("INV-1, INV-2"), numbers)

    assert derived is not None
    assert [(a["invoice_id"], Decimal(a["amount_applied"])) for a in derived] == [
        ("11", Decimal(100)),
        ("12", Decimal(200)),
    ]


def test_rows_only_the_detail_can_complete_are_not_guessed() -> None:
    numbers = known(("INV-1", "11", "100.00"), ("INV-2", "12", "150.00"), ("INV-3", "13", "300.00"))
    numbers.learn([{"invoice_number": "INV-3", "invoice_id": "14", "total": "300.00"}])  # a reused number

    assert derived_allocations(row("INV-1", unused="10.00"), numbers) is None  # partly unused
    assert derived_allocations(row("INV-1,INV-2"), numbers) is None  # 250 of totals for 300 paid
    assert derived_allocations(row("INV-9"), numbers) is None  # not in the invoice list
    assert derived_allocations(row("INV-3"), numbers) is None  # one number on two invoices
    assert derived_allocations(row(",INV-1"), numbers) is None  # an unnamed entry
    assert derived_allocations(row("", unused="0.00"), numbers) is None  # applied, to no named invoice
    assert derived_allocations(row("INV-1", currency_code="USD"), known(("INV-1", "11", "300"))) is not None
    several_usd = row("INV-1,INV-2", amount="250.00", currency_code="USD")
    assert derived_allocations(several_usd, numbers) is None  # totals in another currency


def test_a_list_row_without_invoice_numbers_or_with_unreadable_amounts_needs_its_detail() -> None:
    """Both list shapes: the field may be absent (then the detail is read, as before)."""
    assert listed_invoice_numbers({"amount": "1", "unused_amount": "0"}) is None
    assert listed_invoice_numbers(row("INV-1", amount=1.5)) is None  # a float is not an exact amount
    assert listed_invoice_numbers(row("INV-1", unused=None)) is None
    assert listed_invoice_numbers(row(["INV-1"])) == ["INV-1"]
