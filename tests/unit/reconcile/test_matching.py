"""The match rule's passes and comparisons, one behaviour at a time."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from reconcile.matching import match
from reconcile.result import MatchContext
from store.canonical import Status
from store.discrepancies import DiscrepancyType
from tests.unit.reconcile.helpers import invoice, match_rule, types

CTX = MatchContext(base_currency="CNY")


def test_numbers_in_different_formats_are_matched_by_the_exact_pass() -> None:
    left = [invoice("crm", "1", "INV-000123", "100.00")]
    right = [invoice("books", "a", "ＩＮＶ－000123", "100.00")]
    result = match(left, right, match_rule(), CTX)
    assert [m.how for m in result.matches] == ["number"]
    assert result.discrepancies == ()


@pytest.mark.parametrize(("right_total", "flagged"), [("100.01", False), ("99.99", False), ("100.02", True)])
def test_a_difference_at_the_tolerance_is_accepted_and_one_cent_more_is_flagged(
    right_total: str, flagged: bool
) -> None:
    result = match(
        [invoice("crm", "1", "INV-1", "100.00")],
        [invoice("books", "a", "INV-1", right_total)],
        match_rule(),
        CTX,
    )
    assert types(result) == (["amount_mismatch"] if flagged else [])
    if flagged:
        found = result.discrepancies[0]
        assert (found.left_amount, found.right_amount, found.difference) == (
            Decimal("100.00"),
            Decimal("100.02"),
            Decimal("-0.02"),
        )
        assert "INV-1" in found.explanation


def test_a_percentage_tolerance_accepts_proportional_differences() -> None:
    rule = match_rule(tolerance={"amount": "0", "amount_percent": "1"})
    left = [invoice("crm", "1", "INV-1", "1000.00"), invoice("crm", "2", "INV-2", "1000.00")]
    right = [invoice("books", "a", "INV-1", "1010.00"), invoice("books", "b", "INV-2", "1010.11")]
    assert types(match(left, right, rule, CTX)) == ["amount_mismatch"]


def test_foreign_amounts_are_compared_through_rates_only_when_both_rates_are_known() -> None:
    left = [invoice("crm", "1", "INV-1", "700.00"), invoice("crm", "2", "INV-2", "700.00")]
    right = [
        invoice("books", "a", "INV-1", "100.00", currency="USD", exchange_rate=Decimal(7)),
        invoice("books", "b", "INV-2", "100.00", currency="USD"),
    ]
    rule = match_rule(compare=["total", "party", "issued_on", "status"])  # currency compared: ADR 0017
    result = match(left, right, rule, CTX)
    assert types(result) == ["currency_mismatch"]
    assert result.discrepancies[0].right[0].external_id == "b"
    assert result.bridge.unconverted == 1


def test_duplicate_numbers_on_one_side_are_reported_and_never_paired() -> None:
    left = [invoice("crm", "1", "INV-1", "100.00")]
    right = [invoice("books", "a", "INV-1", "100.00"), invoice("books", "b", "inv-1", "100.00")]
    result = match(left, right, match_rule(), CTX)
    assert result.matches == ()
    [found] = result.discrepancies
    assert found.type is DiscrepancyType.DUPLICATE
    assert {r.external_id for r in found.right} == {"a", "b"}
    assert [r.external_id for r in found.left] == ["1"]


def test_a_counterpart_found_only_by_party_amount_and_date_is_matched_when_clearly_best() -> None:
    left = [invoice("crm", "1", None, "530.00", party="上海星辰贸易有限公司", issued_on=date(2026, 10, 3))]
    right = [
        invoice(
            "books", "a", "BK-9", "530.00", party="上海星辰贸易有限公司（总部）", issued_on=date(2026, 10, 4)
        ),
        invoice("books", "b", "BK-7", "530.00", party="上海星辰贸易有限公司", issued_on=date(2026, 10, 20)),
    ]
    result = match(left, right, match_rule(tolerance={"amount": "0.01", "days": 2}), CTX)
    assert [(m.how, m.right[0].external_id) for m in result.matches] == [("fuzzy", "a")]
    assert types(result) == ["missing_in_left"]


def test_equally_good_candidates_are_ambiguous_and_none_is_taken() -> None:
    left = [invoice("crm", "1", None, "530.00")]
    right = [invoice("books", "a", None, "530.00"), invoice("books", "b", None, "530.00")]
    result = match(left, right, match_rule(), CTX)
    assert result.matches == ()
    [found] = result.discrepancies
    assert found.type is DiscrepancyType.AMBIGUOUS_MATCH
    assert len(found.left) == 1
    assert len(found.right) == 2


def test_an_order_invoiced_in_parts_matches_the_invoices_that_reference_it() -> None:
    rule = match_rule(
        left={"source": "crm", "kind": "sales_order"},
        right={"source": "crm", "kind": "invoice"},
        keys=["references.sales_order"],
        compare=["total"],
    )
    order = invoice("crm", "so-1", "SO-1", "300.00", kind="sales_order")
    parts = [
        invoice("crm", f"i{n}", f"INV-{n}", "100.00", references={"sales_order": "so-1"}) for n in range(3)
    ]
    result = match([order], parts, rule, CTX)
    assert [(m.how, len(m.right)) for m in result.matches] == [("aggregate", 3)]
    short = match([order], parts[:2], rule, CTX)
    assert types(short) == ["amount_mismatch"]
    assert short.discrepancies[0].difference == Decimal("100.00")


def test_an_order_matches_several_unreferenced_invoices_of_its_party_that_add_up() -> None:
    rule = match_rule(left={"source": "crm", "kind": "sales_order"}, keys=["number"], compare=["total"])
    order = invoice("crm", "so-1", "SO-1", "300.00", kind="sales_order")
    parts = [invoice("books", "a", "B-1", "120.00"), invoice("books", "b", "B-2", "180.00")]
    result = match([order], parts, rule, CTX)
    assert [(m.how, len(m.right)) for m in result.matches] == [("aggregate", 2)]


def test_a_document_deleted_on_one_side_but_live_on_the_other_is_reported() -> None:
    left = [invoice("crm", "1", "INV-1", "100.00")]
    right = [invoice("books", "a", "INV-1", "100.00", deleted=True, status=Status.DELETED)]
    result = match(left, right, match_rule(), CTX)
    assert types(result) == ["deleted_in_source"]
    gone = match([invoice("crm", "1", "INV-1", "1.00", deleted=True)], [], match_rule(), CTX)
    assert gone.discrepancies == ()
    assert len(gone.ignored) == 1


def test_several_differences_in_one_pair_are_one_finding_listing_every_field() -> None:
    left = [invoice("crm", "1", "INV-1", "100.00")]
    right = [invoice("books", "a", "INV-1", "150.00", status=Status.PAID, issued_on=date(2026, 10, 9))]
    [found] = match(left, right, match_rule(), CTX).discrepancies
    assert found.type is DiscrepancyType.AMOUNT_MISMATCH
    assert [f.field for f in found.fields] == ["total", "status", "issued_on"]


def test_a_different_customer_on_a_matched_pair_is_a_party_mismatch() -> None:
    left = [invoice("crm", "1", "INV-1", "100.00")]
    right = [invoice("books", "a", "INV-1", "100.00", party="Umbrella Holdings")]
    assert types(match(left, right, match_rule(), CTX)) == ["party_mismatch"]


def test_a_manual_match_pairs_documents_the_passes_would_not() -> None:
    left = [invoice("crm", "1", "INV-1", "100.00")]
    right = [invoice("books", "a", "X-77", "100.00", party="Someone Else")]
    rule = match_rule(compare=["total"])
    assert types(match(left, right, rule, CTX)) == ["missing_in_left", "missing_in_right"]
    forced = MatchContext(base_currency="CNY", forced=frozenset({("crm/invoice/1", "books/invoice/a")}))
    assert [m.how for m in match(left, right, rule, forced).matches] == ["manual"]


def test_a_manual_unmatch_keeps_the_passes_from_pairing_the_documents_again() -> None:
    left = [invoice("crm", "1", "INV-1", "100.00")]
    right = [invoice("books", "a", "INV-1", "100.00")]
    ctx = MatchContext(base_currency="CNY", forbidden=frozenset({("crm/invoice/1", "books/invoice/a")}))
    assert types(match(left, right, match_rule(), ctx)) == ["missing_in_left", "missing_in_right"]


def test_the_bridge_explains_the_whole_difference_by_type() -> None:
    left = [invoice("crm", "1", "INV-1", "100.00"), invoice("crm", "2", "INV-2", "40.00")]
    right = [invoice("books", "a", "INV-1", "100.01"), invoice("books", "c", "INV-3", "7.00")]
    bridge = match(left, right, match_rule(), CTX).bridge
    assert (bridge.left_total, bridge.right_total, bridge.difference) == (
        Decimal("140.00"),
        Decimal("107.01"),
        Decimal("32.99"),
    )
    assert bridge.explained == {
        "missing_in_right": Decimal("40.00"),
        "missing_in_left": Decimal("-7.00"),
        "within_tolerance": Decimal("-0.01"),
    }
    assert bridge.unexplained == 0
    assert bridge.to_json()["explained"]["missing_in_right"] == "40.00"
