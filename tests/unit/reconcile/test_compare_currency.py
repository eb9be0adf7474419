"""A document in another currency: a currency_mismatch naming both amounts as typed when the rule compares
currency (or a rate is unknown); otherwise totals compared in the base currency within tolerance.fx_percent."""

from __future__ import annotations

from decimal import Decimal

import pytest

from reconcile.matching import match
from reconcile.result import WITHIN_TOLERANCE, MatchContext, MatchResult
from store.canonical import CanonicalDocument
from store.discrepancies import DiscrepancyType
from tests.unit.reconcile.helpers import invoice, match_rule, types

CTX = MatchContext(base_currency="CNY")
WITHOUT_CURRENCY = ["total", "party", "issued_on", "status"]
EUR_RATE = Decimal("7.9844")
"""EUR 36,000.00 at this rate is CNY 287,438.40: 0.95 more than the CRM's CNY 287,437.45."""


def _issue_example() -> tuple[list[CanonicalDocument], list[CanonicalDocument]]:
    """Issue 12 §4: the invoice is CNY 287,437.45 in the CRM and EUR 36,000.00 in the books."""
    crm = [invoice("zoho-crm", "1", "INV-000123", "287437.45")]
    books = [invoice("zoho-books", "a", "INV-000123", "36000.00", currency="EUR", exchange_rate=EUR_RATE)]
    return crm, books


def _bridge_adds_up(result: MatchResult) -> None:
    bridge = result.bridge
    assert bridge.unexplained == 0
    assert bridge.difference == sum(bridge.explained.values(), Decimal(0))


def test_the_issue_example_is_a_currency_mismatch_naming_both_amounts_as_typed() -> None:
    crm, books = _issue_example()
    result = match(crm, books, match_rule(), CTX)
    [found] = result.discrepancies
    assert found.type is DiscrepancyType.CURRENCY_MISMATCH
    assert [(f.field, f.left, f.right) for f in found.fields] == [
        ("currency", "CNY", "EUR"),
        ("total", "CNY 287,437.45", "EUR 36,000.00"),
    ]
    assert "CNY 287,437.45" in found.explanation
    assert "EUR 36,000.00" in found.explanation
    assert "a difference of CNY -0.95" in found.explanation
    assert "2258580" not in found.explanation.replace(",", "")


def test_a_currency_mismatch_states_its_figures_in_the_base_currency_and_the_bridge_adds_up() -> None:
    """ADR 0017: left/right amounts, difference and currency are all base-currency figures; the amounts
    as typed are in the fields and in each document reference."""
    crm, books = _issue_example()
    result = match(crm, books, match_rule(), CTX)
    [found] = result.discrepancies
    assert (found.left_amount, found.right_amount, found.difference, found.currency) == (
        Decimal("287437.45"),
        Decimal("287438.40"),
        Decimal("-0.95"),
        "CNY",
    )
    assert [(r.amount, r.currency) for r in (*found.left, *found.right)] == [
        (Decimal("287437.45"), "CNY"),
        (Decimal("36000.00"), "EUR"),
    ]
    assert result.bridge.explained == {"currency_mismatch": found.difference}
    _bridge_adds_up(result)


def test_a_rule_comparing_currency_flags_different_currencies_even_when_the_amounts_agree() -> None:
    left = [invoice("crm", "1", "INV-1", "700.00")]
    right = [invoice("books", "a", "INV-1", "100.00", currency="USD", exchange_rate=Decimal(7))]
    [found] = match(left, right, match_rule(), CTX).discrepancies
    assert found.type is DiscrepancyType.CURRENCY_MISMATCH
    assert found.difference == Decimal("0.00")


def test_without_currency_in_compare_the_issue_example_is_clean_within_the_fx_tolerance() -> None:
    crm, books = _issue_example()
    result = match(crm, books, match_rule(compare=WITHOUT_CURRENCY), CTX)
    assert result.discrepancies == ()
    assert [m.how for m in result.matches] == ["number"]
    assert result.bridge.explained == {WITHIN_TOLERANCE: Decimal("-0.95")}
    _bridge_adds_up(result)


@pytest.mark.parametrize(
    ("cny", "flagged"), [("714.28", False), ("686.00", False), ("714.29", True), ("685.99", True)]
)
def test_without_currency_in_compare_totals_may_differ_by_two_percent_of_the_larger_by_default(
    cny: str, flagged: bool
) -> None:
    """USD 100.00 at 7 is CNY 700.00; the limit is 2% of the larger total (14.2856 of 714.28, 14.00 of 700)."""
    left = [invoice("crm", "1", "INV-1", cny)]
    right = [invoice("books", "a", "INV-1", "100.00", currency="USD", exchange_rate=Decimal(7))]
    result = match(left, right, match_rule(compare=WITHOUT_CURRENCY), CTX)
    assert types(result) == (["amount_mismatch"] if flagged else [])
    _bridge_adds_up(result)


def test_an_amount_mismatch_across_currencies_names_the_typed_totals_and_the_base_figures() -> None:
    left = [invoice("crm", "1", "INV-1", "800.00")]
    right = [invoice("books", "a", "INV-1", "100.00", currency="USD", exchange_rate=Decimal(7))]
    result = match(left, right, match_rule(compare=WITHOUT_CURRENCY), CTX)
    [found] = result.discrepancies
    assert found.type is DiscrepancyType.AMOUNT_MISMATCH
    assert (found.left_amount, found.right_amount, found.difference, found.currency) == (
        Decimal("800.00"),
        Decimal("700.00"),
        Decimal("100.00"),
        "CNY",
    )
    assert [(f.field, f.left, f.right) for f in found.fields] == [
        ("currency", "CNY", "USD"),
        ("total", "CNY 800.00", "USD 100.00"),
        ("fx_percent", None, "2"),  # a fact: the tolerance exceeded, for the explanation in any language
    ]
    assert "CNY 800.00 vs CNY 700.00, a difference of CNY 100.00, more than the 2% FX tolerance" in (
        found.explanation
    )
    assert result.bridge.explained == {"amount_mismatch": Decimal("100.00")}


def test_the_fx_tolerance_is_the_rules_own() -> None:
    left = [invoice("crm", "1", "INV-1", "707.00")]
    right = [invoice("books", "a", "INV-1", "100.00", currency="USD", exchange_rate=Decimal(7))]
    strict = match_rule(compare=WITHOUT_CURRENCY, tolerance={"fx_percent": "0.5"})
    loose = match_rule(compare=WITHOUT_CURRENCY, tolerance={"fx_percent": "1"})
    assert types(match(left, right, strict, CTX)) == ["amount_mismatch"]
    assert types(match(left, right, loose, CTX)) == []


def test_the_fx_tolerance_does_not_loosen_documents_of_one_currency() -> None:
    rule = match_rule(compare=WITHOUT_CURRENCY)
    left = [invoice("crm", "1", "INV-1", "700.00")]
    right = [invoice("books", "a", "INV-1", "707.00")]
    assert types(match(left, right, rule, CTX)) == ["amount_mismatch"]


@pytest.mark.parametrize("compare", [None, WITHOUT_CURRENCY])
def test_an_unknown_rate_is_a_currency_mismatch_with_no_difference_stated(compare: list[str] | None) -> None:
    rule = match_rule() if compare is None else match_rule(compare=compare)
    left = [invoice("crm", "1", "INV-1", "700.00")]
    right = [invoice("books", "a", "INV-1", "100.00", currency="USD")]
    result = match(left, right, rule, CTX)
    [found] = result.discrepancies
    assert found.type is DiscrepancyType.CURRENCY_MISMATCH
    assert (found.left_amount, found.right_amount, found.difference) == (Decimal("700.00"), None, None)
    assert [(f.field, f.left, f.right) for f in found.fields] == [
        ("currency", "CNY", "USD"),
        ("total", "CNY 700.00", "USD 100.00"),
    ]
    assert "exchange rate is unknown" in found.explanation
    assert result.bridge.unconverted == 1
    _bridge_adds_up(result)


def test_a_document_that_states_no_currency_is_in_the_base_currency_not_a_currency_mismatch() -> None:
    left = [invoice("crm", "1", "INV-1", "700.00", currency=None)]
    right = [invoice("books", "a", "INV-1", "700.00")]
    assert match(left, right, match_rule(), CTX).discrepancies == ()
