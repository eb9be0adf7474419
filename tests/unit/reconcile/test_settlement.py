"""Invoices against the payments and credit notes allocated to them."""

from __future__ import annotations

from decimal import Decimal

from reconcile.result import MatchContext
from reconcile.settlement import settle
from store.canonical import CanonicalDocument, Status
from tests.unit.reconcile.helpers import invoice, payment, settlement_rule, types

CTX = MatchContext(base_currency="CNY")


def _invoice(external_id: str, total: str, balance: str, status: Status = Status.OPEN) -> CanonicalDocument:
    return invoice("books", external_id, f"INV-{external_id}", total, balance=Decimal(balance), status=status)


def test_split_and_partial_payments_that_agree_with_the_balance_are_not_flagged() -> None:
    invoices = [
        _invoice("1", "100.00", "0.00", Status.PAID),
        _invoice("2", "100.00", "40.00", Status.PARTIALLY_PAID),
    ]
    payments = [
        payment("p1", "70.00", ("1", "70.00")),
        payment("p2", "30.00", ("1", "30.00")),
        payment("p3", "60.00", ("2", "60.00")),
    ]
    result = settle(invoices, payments, settlement_rule(), CTX)
    assert result.discrepancies == ()
    assert result.bridge.explained == {"open_balance": Decimal("40.00")}
    assert result.bridge.unexplained == 0


def test_an_invoice_marked_paid_with_too_little_applied_is_underpaid() -> None:
    result = settle(
        [_invoice("1", "100.00", "0.00", Status.PAID)],
        [payment("p1", "95.00", ("1", "95.00"))],
        settlement_rule(),
        CTX,
    )
    assert types(result) == ["underpaid"]
    assert result.discrepancies[0].difference == Decimal("5.00")


def test_more_applied_than_the_invoice_total_is_overpaid() -> None:
    result = settle(
        [_invoice("1", "100.00", "0.00")], [payment("p1", "103.00", ("1", "103.00"))], settlement_rule(), CTX
    )
    assert types(result) == ["overpaid"]
    assert result.bridge.explained == {"overpaid": Decimal("-3.00")}


def test_a_payment_not_fully_applied_is_unapplied_and_the_bridge_shows_it() -> None:
    result = settle(
        [_invoice("1", "100.00", "0.00")], [payment("p1", "150.00", ("1", "100.00"))], settlement_rule(), CTX
    )
    assert types(result) == ["unapplied_payment"]
    assert result.bridge.explained == {"unapplied_payment": Decimal("-50.00")}
    assert result.bridge.difference == Decimal("-50.00")


def test_one_cent_unapplied_is_within_tolerance() -> None:
    result = settle(
        [_invoice("1", "100.00", "0.00")], [payment("p1", "100.01", ("1", "100.00"))], settlement_rule(), CTX
    )
    assert result.discrepancies == ()


def test_an_allocation_to_an_invoice_that_does_not_exist_is_missing_in_left() -> None:
    known = frozenset({"1", "old-9"})
    payments = [payment("p1", "10.00", ("ghost", "10.00")), payment("p2", "5.00", ("old-9", "5.00"))]
    result = settle(
        [_invoice("1", "100.00", "100.00")], payments, settlement_rule(), CTX, known_invoices=known
    )
    assert types(result) == ["missing_in_left"]
    assert result.bridge.explained == {
        "missing_in_left": Decimal("-10.00"),
        "open_balance": Decimal("100.00"),
        "out_of_scope": Decimal("-5.00"),
    }
